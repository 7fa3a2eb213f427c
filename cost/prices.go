// Package cost estimates what a stack costs to run from the resources the program registers
// (instance variants and their scaling bounds, serverless memory and provisioned concurrency,
// the stage cache, the web ACL, alarms, dashboards, log groups) and a sheet of published unit
// prices per region (prices/<region>.yaml). The README's cost table is rendered from it.
package cost

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"gopkg.in/yaml.v3"
)

// Sheets holds the committed price sheets, one per region.
//
//go:embed prices/*.yaml
var Sheets embed.FS

// Price is one unit price. USD is nil when no published figure is on file.
type Price struct {
	Key  string   `yaml:"key"`
	What string   `yaml:"what"`
	USD  *float64 `yaml:"usd"`
	// Per is how many units USD buys (1, or 1000000 for request prices).
	Per  float64 `yaml:"per"`
	Unit string  `yaml:"unit"`
	// Offer, UsageType and Source say where AWS publishes the price; LookFor describes the
	// product when its usage type is not known here.
	Offer     string `yaml:"offer"`
	UsageType string `yaml:"usageType"`
	LookFor   string `yaml:"lookFor"`
	Source    string `yaml:"source"`
	// Evidence says how sure the figure is: EvidenceOfferSnapshot (the default: an extract of the
	// region's offer file that records its publicationDate, in Published), EvidenceOfferCheck (a
	// figure checked against the region's offer file on the date in Checked, whose
	// publicationDate was not recorded) or EvidenceSecondary (an AWS bill line or a third-party
	// pricing fixture; the table labels it). ReadFrom is where the figure was read.
	Evidence  string `yaml:"evidence"`
	Published string `yaml:"published"`
	Checked   string `yaml:"checked"`
	ReadFrom  string `yaml:"readFrom"`
}

// How sure a figure on file is.
const (
	EvidenceOfferSnapshot = "offer-snapshot"
	EvidenceOfferCheck    = "offer-check"
	EvidenceSecondary     = "secondary"
)

// evidence is the price's evidence kind, the default applied.
func (p Price) evidence() string {
	if p.Evidence == "" {
		return EvidenceOfferSnapshot
	}
	return p.Evidence
}

// OnFile reports whether the price has a published figure.
func (p Price) OnFile() bool { return p.USD != nil }

// Sheet is the price sheet of one region.
type Sheet struct {
	Region string  `yaml:"region"`
	Prices []Price `yaml:"prices"`
	byKey  map[string]Price
}

// Lookup returns the price of a key.
func (s *Sheet) Lookup(key string) (Price, bool) {
	p, ok := s.byKey[key]
	return p, ok
}

// priceListHost is where AWS publishes the Price List bulk API offer files.
const priceListHost = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/"

// LoadSheet reads and validates prices/<region>.yaml from fsys (Sheets unless a test
// substitutes its own). Every problem is reported at once, each naming the entry.
func LoadSheet(fsys fs.FS, region string) (*Sheet, error) {
	path := "prices/" + region + ".yaml"
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("no price sheet for region %s (cost/%s): %w", region, path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var s Sheet
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("cost/%s: %w", path, err)
	}
	if err := s.validate(region); err != nil {
		return nil, fmt.Errorf("cost/%s: %w", path, err)
	}
	return &s, nil
}

func (s *Sheet) validate(region string) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Region != region {
		fail("region is %q, the file is for %q", s.Region, region)
	}
	s.byKey = map[string]Price{}
	for i, p := range s.Prices {
		at := fmt.Sprintf("prices[%d] (%s)", i, p.Key)
		if p.Key == "" {
			fail("prices[%d]: key is empty", i)
		}
		if _, dup := s.byKey[p.Key]; dup {
			fail("%s: key appears twice", at)
		}
		s.byKey[p.Key] = p
		if p.What == "" || p.Unit == "" || p.Offer == "" {
			fail("%s: what, unit and offer are required", at)
		}
		if p.Per <= 0 {
			fail("%s: per must be a positive number of units", at)
		}
		if want := priceListHost + p.Offer + "/current/" + region + "/index.json"; p.Source != want {
			fail("%s: source must be the offer file %s", at, want)
		}
		if p.UsageType == "" && p.LookFor == "" {
			fail("%s: say where the price is published: usageType, or lookFor when the usage type is unknown", at)
		}
		if !p.OnFile() {
			if p.Published != "" || p.ReadFrom != "" || p.Checked != "" || p.Evidence != "" {
				fail("%s: evidence, published, checked and readFrom belong to a price that is on file (usd is null)", at)
			}
			continue
		}
		if *p.USD < 0 {
			fail("%s: usd must not be negative", at)
		}
		if p.UsageType == "" {
			fail("%s: a price on file names its usageType", at)
		}
		date := func(field, v, what string) {
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				fail("%s: %s must be %s as YYYY-MM-DD (got %q)", at, field, what, v)
			}
		}
		switch p.evidence() {
		case EvidenceOfferSnapshot:
			date("published", p.Published, "the offer's publication date")
		case EvidenceOfferCheck:
			date("checked", p.Checked, "the date the figure was checked against the offer file")
			if p.Published != "" {
				fail("%s: an offer-check figure has no recorded publication date; use evidence offer-snapshot with published", at)
			}
		case EvidenceSecondary:
			if p.Published != "" {
				fail("%s: a secondary figure has no offer publication date", at)
			}
			if p.Checked != "" {
				date("checked", p.Checked, "the date the source states the figure")
			}
		default:
			fail("%s: evidence must be %s, %s or %s (got %q)", at, EvidenceOfferSnapshot, EvidenceOfferCheck, EvidenceSecondary, p.Evidence)
		}
		if p.ReadFrom == "" {
			fail("%s: readFrom must say where the figure was read", at)
		}
	}
	return errors.Join(errs...)
}
