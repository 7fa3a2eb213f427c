// Package problems collects configuration errors so that every problem is reported at once,
// each naming its config key path and the fix.
package problems

import (
	"errors"
	"fmt"
)

// List is the problems found so far.
type List []error

// Add records a problem at a key path (e.g. ml-rest-api:api.routes[0].path).
func (l *List) Add(path, format string, args ...any) {
	*l = append(*l, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

// Err is nil without problems, or one error listing them all under the heading.
func (l List) Err(heading string) error {
	if len(l) == 0 {
		return nil
	}
	return fmt.Errorf("%s (%d problem(s)):\n%w", heading, len(l), errors.Join(l...))
}
