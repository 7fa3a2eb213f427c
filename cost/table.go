package cost

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Table renders a stack's lines as Markdown: what it costs every month with no traffic, and
// what traffic adds. Every key the lines use must have an entry in the sheet (priced or
// "not on file"); a missing one is an error naming the key and the fix.
func Table(stack string, lines []Line, sheet *Sheet) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "#### Stack `%s` (%s)\n\n", stack, sheet.Region)
	var lo, hi float64
	unpriced := 0
	section := Basis(-1)
	for _, l := range lines {
		p, ok := sheet.Lookup(l.Price)
		if !ok {
			return "", fmt.Errorf("cost: stack %s: %q (%s) has no entry in cost/prices/%s.yaml; add one, with usd: null until a published price is on file", stack, l.Price, l.Item, sheet.Region)
		}
		if l.Basis != section {
			if section == Monthly {
				total(&b, lo, hi, unpriced)
			}
			if section >= 0 {
				b.WriteString("\n")
			}
			section = l.Basis
			switch l.Basis {
			case Monthly:
				b.WriteString("Billed every month, with or without traffic:\n\n| What | Quantity a month | Unit price | USD a month |\n|---|---|---|---|\n")
			case PerMillionRequests:
				b.WriteString("Added by traffic, per million requests:\n\n| What | Unit price | USD per million requests |\n|---|---|---|\n")
			case PerUse:
				b.WriteString("Added by use the configuration does not fix:\n\n| What | Unit price |\n|---|---|\n")
			}
		}
		switch l.Basis {
		case Monthly:
			cost := "—"
			if p.OnFile() {
				a, z := l.Min**p.USD/p.Per, l.Max**p.USD/p.Per
				lo, hi = lo+a, hi+z
				cost = span(a, z, money)
			} else {
				unpriced++
			}
			fmt.Fprintf(&b, "| %s | %s %s | %s | %s |\n", l.Item, span(l.Min, l.Max, quantity), plural(p.Unit, l.Max), unitPrice(p), cost)
		case PerMillionRequests:
			cost := "—"
			if p.OnFile() {
				cost = money(l.Max * *p.USD / p.Per)
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", l.Item, unitPrice(p), cost)
		case PerUse:
			fmt.Fprintf(&b, "| %s | %s |\n", l.Item, unitPrice(p))
		}
	}
	if section == Monthly {
		total(&b, lo, hi, unpriced)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func total(b *strings.Builder, lo, hi float64, unpriced int) {
	t := "**" + span(lo, hi, money) + "**"
	if unpriced > 0 {
		t += fmt.Sprintf(" + %d not on file", unpriced)
	}
	fmt.Fprintf(b, "| **Total of the priced lines** | | | %s |\n", t)
}

// unitPrice is "$3.50 per 1,000,000 requests (published 2026-09-21)" or "not on file (per …)".
func unitPrice(p Price) string {
	per := p.Unit
	if p.Per != 1 {
		per = quantity(p.Per) + " " + plural(p.Unit, p.Per)
	}
	if !p.OnFile() {
		return "not on file (per " + per + ")"
	}
	var when string
	switch p.evidence() {
	case EvidenceOfferCheck:
		when = "offer checked " + p.Checked + ", publication date not recorded"
	case EvidenceSecondary:
		when = "**secondary source**, not an offer file"
		if p.Checked != "" {
			when += ", " + p.Checked
		}
	default:
		when = "published " + p.Published
	}
	return fmt.Sprintf("%s per %s (%s)", unitMoney(*p.USD), per, when)
}

// unitMoney formats a unit price with the digits it has ($3.50, $0.128, $0.00002).
func unitMoney(x float64) string {
	if c := x * 100; c == math.Trunc(c) {
		return money(x)
	}
	return "$" + strconv.FormatFloat(x, 'f', -1, 64)
}

func span(lo, hi float64, f func(float64) string) string {
	if f(lo) == f(hi) {
		return f(lo)
	}
	return f(lo) + "–" + f(hi)
}

func plural(unit string, n float64) string {
	if n == 1 {
		return unit
	}
	return unit + "s"
}

// money formats dollars with cents and thousands separators.
func money(x float64) string {
	cents := int64(math.Round(x * 100))
	return "$" + grouped(cents/100) + fmt.Sprintf(".%02d", cents%100)
}

// quantity formats a whole number with thousands separators, or a fraction with two decimals.
func quantity(x float64) string {
	if x == math.Trunc(x) {
		return grouped(int64(x))
	}
	return fmt.Sprintf("%.2f", x)
}

func grouped(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
