package store

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// The page sizes of a search in a query (ParseQuery).
const (
	PageLimit    = 100  // a page when the query gives no limit
	MaxPageLimit = 1000 // the largest page a query may ask for
)

// TagParam prefixes a metadata tag's parameter: tag.case=77.
const TagParam = "tag."

// MaxTagValue bounds a metadata tag's value in a query.
const MaxTagValue = 200

// tagName is what a metadata tag may be called: the config's rule too.
var tagName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ValidTagName reports whether name may name a metadata tag (R-V7):
// 1 to 64 letters, digits, '_', '.' or '-'.
func ValidTagName(name string) bool { return tagName.MatchString(name) }

// QueryError is a search parameter ParseQuery refuses, in words. It is an
// ErrBadFilter.
type QueryError struct {
	Param string // the parameter, e.g. "min_duration" or "tag.case"
	Msg   string
}

func (e *QueryError) Error() string { return e.Param + ": " + e.Msg }

// Is makes a QueryError an ErrBadFilter.
func (e *QueryError) Is(target error) bool { return target == ErrBadFilter }

func bad(param, format string, args ...any) error {
	return &QueryError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// ParseQuery reads a recording search from URL parameters, the one parser
// of GET /v1/recordings and the web app (issue 12, R-V5, R-V7):
//
//	id, interaction, agent, queue, kind (a session kind), customer, contact,
//	disposition: exact values; partition (repeated, or a,b): any one;
//	min_duration, max_duration: seconds (or 1m30s); screen, voice: 1 or 0;
//	tag.NAME=VALUE: a metadata tag; from, to: RFC 3339 or a date (UTC;
//	to includes the whole day); q: words of the transcript; sort (one of
//	SortColumns), order (asc or desc); count=1; limit (1..MaxPageLimit,
//	PageLimit when left out); cursor.
//
// Parameters it does not know are left to the caller (team, format). An
// error is a *QueryError naming the parameter.
// QueryParams are the parameters ParseQuery reads, besides TagParam's.
var QueryParams = []string{"id", "interaction", "agent", "queue", "kind", "customer", "contact", "disposition", "q", "cursor",
	"partition", "min_duration", "max_duration", "screen", "voice", "from", "to", "sort", "order", "count", "limit"}

// UnknownParams lists, sorted, q's parameters that are neither
// QueryParams, tags nor one of also: a typo (agnet=ada) must be refused,
// not searched as if it were not there.
func UnknownParams(q url.Values, also ...string) []string {
	var out []string
	for k := range q {
		if !strings.HasPrefix(k, TagParam) && !slices.Contains(QueryParams, k) && !slices.Contains(also, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func ParseQuery(q url.Values) (RecordingFilter, error) {
	f := RecordingFilter{ID: q.Get("id"), Interaction: q.Get("interaction"), Agent: q.Get("agent"), Queue: q.Get("queue"),
		Kind: q.Get("kind"), Customer: q.Get("customer"), Contact: q.Get("contact"), Disposition: q.Get("disposition"),
		Text: q.Get("q"), Cursor: q.Get("cursor"), Limit: PageLimit}
	if f.Kind != "" {
		if _, err := session.ParseKind(f.Kind); err != nil {
			return f, bad("kind", "%s", strings.TrimPrefix(err.Error(), "session: "))
		}
	}
	if len(f.Text) > MaxTextQuery {
		return f, bad("q", "at most %d bytes of words to find", MaxTextQuery)
	}
	for _, v := range q["partition"] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(f.Partitions, p) {
				f.Partitions = append(f.Partitions, p)
			}
		}
	}
	var err error
	if f.MinDuration, err = durationParam(q, "min_duration"); err != nil {
		return f, err
	}
	if f.MaxDuration, err = durationParam(q, "max_duration"); err != nil {
		return f, err
	}
	if f.MaxDuration > 0 && f.MinDuration > f.MaxDuration {
		return f, bad("max_duration", "%s is less than min_duration %s", q.Get("max_duration"), q.Get("min_duration"))
	}
	if f.Screen, err = flagParam(q, "screen"); err != nil {
		return f, err
	}
	if f.Voice, err = flagParam(q, "voice"); err != nil {
		return f, err
	}
	if f.Tags, err = tagParams(q); err != nil {
		return f, err
	}
	if f.From, err = timeParam(q, "from", false); err != nil {
		return f, err
	}
	if f.To, err = timeParam(q, "to", true); err != nil {
		return f, err
	}
	if err := sortParams(q, &f); err != nil {
		return f, err
	}
	switch v := q.Get("count"); v {
	case "", "0":
	case "1":
		f.Count = true
	default:
		return f, bad("count", "want 1 (or leave it out), not %q", v)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageLimit {
			return f, bad("limit", "must be a number from 1 to %d, not %q", MaxPageLimit, v)
		}
		f.Limit = n
	}
	return f, nil
}

// durationParam reads seconds ("90", "1.5") or a Go duration ("1m30s").
func durationParam(q url.Values, key string) (time.Duration, error) {
	v := q.Get(key)
	if v == "" {
		return 0, nil
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 && s < math.MaxInt64/float64(time.Second) {
		return time.Duration(s * float64(time.Second)).Round(time.Millisecond), nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, nil
	}
	return 0, bad(key, "want seconds (90) or a duration (1m30s), not %q", v)
}

func flagParam(q url.Values, key string) (Flag, error) {
	switch v := q.Get(key); v {
	case "":
		return Either, nil
	case "1", "true", "yes":
		return With, nil
	case "0", "false", "no":
		return Without, nil
	default:
		return Either, bad(key, "want 1 (with) or 0 (without), not %q", v)
	}
}

func tagParams(q url.Values) (map[string]string, error) {
	var tags map[string]string
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name, ok := strings.CutPrefix(k, TagParam)
		if !ok {
			continue
		}
		if !ValidTagName(name) {
			return nil, bad(k, "a tag's name is 1 to 64 letters, digits, '_', '.' or '-'")
		}
		v := q.Get(k)
		if len(v) > MaxTagValue {
			return nil, bad(k, "at most %d bytes", MaxTagValue)
		}
		if tags == nil {
			tags = map[string]string{}
		}
		if len(tags) == MaxTags {
			return nil, bad(k, "at most %d tags in one search", MaxTags)
		}
		tags[name] = v
	}
	return tags, nil
}

// timeParam reads a search bound: an RFC 3339 time, or a date (UTC) that
// begins there for from and ends there, the whole day included, for to.
func timeParam(q url.Values, key string, end bool) (time.Time, error) {
	v := q.Get(key)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, bad(key, "%q: want a date (2026-11-20) or a time (2026-11-20T09:30:00Z)", v)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

func sortParams(q url.Values, f *RecordingFilter) error {
	if v := q.Get("sort"); v != "" {
		if !slices.Contains(SortColumns, v) {
			return bad("sort", "%q: want one of %s", v, strings.Join(SortColumns, ", "))
		}
		f.Sort = v
	}
	switch v := q.Get("order"); v {
	case "", "asc":
	case "desc":
		f.Desc = true
	default:
		return bad("order", "want asc or desc, not %q", v)
	}
	return nil
}

// Values is the query ParseQuery reads back as f (for saved searches,
// page links and CSV links); AgentIn and KindIn, which the hub sets from
// the caller's scope and team, are not in it.
func (f RecordingFilter) Values() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("id", f.ID)
	set("interaction", f.Interaction)
	set("agent", f.Agent)
	set("queue", f.Queue)
	set("kind", f.Kind)
	set("customer", f.Customer)
	set("contact", f.Contact)
	set("disposition", f.Disposition)
	for _, p := range f.Partitions {
		q.Add("partition", p)
	}
	secs := func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	}
	set("min_duration", secs(f.MinDuration))
	set("max_duration", secs(f.MaxDuration))
	flag := map[Flag]string{With: "1", Without: "0"}
	set("screen", flag[f.Screen])
	set("voice", flag[f.Voice])
	for k, v := range f.Tags {
		q.Set(TagParam+k, v)
	}
	set("from", timeValue(f.From, false))
	set("to", timeValue(f.To, true))
	set("q", f.Text)
	set("sort", f.Sort)
	if f.Desc {
		q.Set("order", "desc")
	}
	if f.Count {
		q.Set("count", "1")
	}
	if f.Limit != 0 && f.Limit != PageLimit {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	set("cursor", f.Cursor)
	return q
}

// timeValue writes a bound as timeParam reads it: a UTC midnight as a date.
func timeValue(t time.Time, end bool) string {
	if t.IsZero() {
		return ""
	}
	u := t.UTC()
	if u.Equal(u.Truncate(24 * time.Hour)) {
		if end {
			u = u.AddDate(0, 0, -1)
		}
		return u.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}
