// Package ops is the stack's operations: alarm notifications, the API's alarms and dashboard,
// and the web ACL.
package ops

import (
	"fmt"
	"net/mail"
	"regexp"

	"github.com/ml-rest-api/ml-rest-api/internal/problems"
)

// MonitoringConfig is alarms (with optional e-mail notifications) and a dashboard.
type MonitoringConfig struct {
	Dashboard    bool          `json:"dashboard,omitempty"`
	NotifyEmails []string      `json:"notifyEmails,omitempty"`
	Alarms       *AlarmsConfig `json:"alarms,omitempty"`
}

// AlarmsConfig holds the alarm thresholds.
type AlarmsConfig struct {
	// API5xxRate and API4xxRate are shares of requests (0-1) over 5 minutes.
	API5xxRate      float64 `json:"api5xxRate"`
	API4xxRate      float64 `json:"api4xxRate"`
	APILatencyP99Ms float64 `json:"apiLatencyP99Ms"`
	// Per endpoint (stable and canary); the blue/green guardrails roll back on the first two.
	EndpointInvocation5xxPerMinute float64 `json:"endpointInvocation5xxPerMinute"`
	EndpointModelLatencyP99Ms      float64 `json:"endpointModelLatencyP99Ms"`
	// EndpointCPUPercent applies to instance variants (CPUUtilization, 100 per vCPU).
	EndpointCPUPercent float64 `json:"endpointCpuPercent"`
	// EndpointModelSetupTimeMs (optional) alarms when a serverless variant takes longer to set up
	// compute for a request (a cold start: ModelSetupTime, Maximum over a minute); 0 = no alarm.
	EndpointModelSetupTimeMs float64 `json:"endpointModelSetupTimeMs,omitempty"`
}

// WAFConfig is a regional web ACL on the stage.
type WAFConfig struct {
	// RateLimitPerIP is the request limit per client IP per 5 minutes.
	RateLimitPerIP      int   `json:"rateLimitPerIp"`
	BlockMalformedItems *bool `json:"blockMalformedItems,omitempty"`
	AWSCommonRuleSet    bool  `json:"awsCommonRuleSet,omitempty"`
}

var reEmail = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// Validate reports every problem of monitoring (path: its key, ml-rest-api:monitoring).
func (m *MonitoringConfig) Validate(p *problems.List, path string) {
	for i, e := range m.NotifyEmails {
		// SNS Subscribe: "For the email protocol, the endpoint is an email address" — a bare
		// address, no display name.
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || a.Name != "" || !reEmail.MatchString(e) {
			p.Add(fmt.Sprintf("%s.notifyEmails[%d]", path, i), "not an e-mail address like ml-oncall@example.com (got %q)", e)
		}
	}
	if len(m.NotifyEmails) > 0 && m.Alarms == nil {
		p.Add(path+".notifyEmails", "notifications need alarms: set %s.alarms", path)
	}
	if a := m.Alarms; a != nil {
		ap := path + ".alarms"
		for _, rate := range []struct {
			key string
			v   float64
		}{{"api5xxRate", a.API5xxRate}, {"api4xxRate", a.API4xxRate}} {
			if rate.v <= 0 || rate.v > 1 {
				p.Add(ap+"."+rate.key, "must be a share of requests greater than 0 and at most 1, e.g. 0.01 for 1%% (got %g)", rate.v)
			}
		}
		for _, pos := range []struct {
			key string
			v   float64
		}{{"apiLatencyP99Ms", a.APILatencyP99Ms}, {"endpointInvocation5xxPerMinute", a.EndpointInvocation5xxPerMinute},
			{"endpointModelLatencyP99Ms", a.EndpointModelLatencyP99Ms}, {"endpointCpuPercent", a.EndpointCPUPercent}} {
			if pos.v <= 0 {
				p.Add(ap+"."+pos.key, "must be greater than 0 (got %g)", pos.v)
			}
		}
		if a.EndpointModelSetupTimeMs < 0 {
			p.Add(ap+".endpointModelSetupTimeMs", "must be greater than 0, or left out for no cold-start alarm (got %g)", a.EndpointModelSetupTimeMs)
		}
	}
	if !m.Dashboard && m.Alarms == nil {
		p.Add(path, "turns nothing on: set dashboard: true and/or alarms, or remove the key")
	}
}

// ApplyDefaults blocks malformed items unless the stack says otherwise.
func (w *WAFConfig) ApplyDefaults() {
	if w.BlockMalformedItems == nil {
		yes := true
		w.BlockMalformedItems = &yes
	}
}

// Validate reports every problem of the web ACL's settings (path: ml-rest-api:waf).
func (w *WAFConfig) Validate(p *problems.List, path string) {
	if w.RateLimitPerIP < 100 || w.RateLimitPerIP > 2000000000 {
		p.Add(path+".rateLimitPerIp", "must be between 100 and 2000000000 requests per 5 minutes (got %d)", w.RateLimitPerIP)
	}
}
