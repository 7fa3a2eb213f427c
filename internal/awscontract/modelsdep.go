//go:build tools

package awscontract

// The contract reads AWS's API models from the github.com/aws/aws-sdk-go module (JSON files, no
// Go code of it is compiled into the program). This import, behind a build tag nothing sets,
// keeps the module required in go.mod and its version pinned for `go mod tidy`.
import _ "github.com/aws/aws-sdk-go/aws/awserr"
