// Package throttle is API Gateway's token bucket, shared by stage settings (api) and usage
// plans (access).
package throttle

import "github.com/ml-rest-api/ml-rest-api/internal/problems"

// Config is a token bucket: steady rate (requests/second) and burst.
type Config struct {
	RateLimit  float64 `json:"rateLimit"`
	BurstLimit int     `json:"burstLimit"`
}

// Validate reports a rate or burst API Gateway would refuse.
func (t Config) Validate(p *problems.List, path string) {
	if t.RateLimit <= 0 {
		p.Add(path+".rateLimit", "must be greater than 0 requests per second (got %g)", t.RateLimit)
	}
	if t.BurstLimit < 1 {
		p.Add(path+".burstLimit", "must be at least 1 (got %d)", t.BurstLimit)
	}
}
