package script

import (
	"slices"
	"strings"
)

// The operations of an `api` step: the words and codes of the hub's
// dynamic recording API (R-G3, docs/recording-api.md).
var apiOps = map[string]string{
	"start": "3013", "stop": "3014", "pause": "3015", "resume": "3016",
	"3013": "3013", "3014": "3014", "3015": "3015", "3016": "3016",
}

// APICodes are the error codes of the recording API that `expect` may
// name (docs/recording-api.md, "Errors"). A typo in a script is caught
// when it is parsed, not by a run that never sees the code.
var APICodes = []string{
	"bad_json", "bad_request", "unauthorized", "no_such_interaction",
	"no_such_recording", "method_not_allowed", "wrong_state", "too_large",
}

// apiUsage is the shape of an `api` step, for error messages.
const apiUsage = `api start|stop|pause|resume|3013..3016 [id ID] [record source|destination] [partitions "a,b"] [customer NAME | chat ID] [expect CODE]`

// parseAPI parses `api OP [option value]...`: the option words may come
// in any order, each at most once; customer and chat exclude each other.
func (p *parser) parseAPI(st *Step, cmd token, args []token) error {
	if len(args) == 0 {
		return p.errAt(end(cmd, args), "api needs an operation: %s", apiUsage)
	}
	op := args[0]
	if _, ok := apiOps[strings.ToLower(op.text)]; !ok || op.quoted {
		return p.errAt(op.col, "unknown api operation %q: use start, stop, pause or resume, or their codes 3013, 3014, 3015, 3016", op.text)
	}
	st.Action = op.text
	seen := map[string]bool{}
	rest := args[1:]
	for len(rest) > 0 {
		word := rest[0]
		if word.quoted || !slices.Contains([]string{"id", "record", "partitions", "customer", "chat", "expect"}, word.text) {
			return p.errAt(word.col, "unknown api option %q: %s", word.text, apiUsage)
		}
		if seen[word.text] {
			return p.errAt(word.col, "api option %s given twice", word.text)
		}
		seen[word.text] = true
		if len(rest) < 2 {
			return p.errAt(end(cmd, args), "api option %s needs a value: %s", word.text, apiUsage)
		}
		if err := p.apiOption(st, word.text, rest[1]); err != nil {
			return err
		}
		rest = rest[2:]
	}
	if seen["customer"] && seen["chat"] {
		return p.errAt(cmd.col, "api acts on one chat: give customer NAME or chat ID, not both")
	}
	return nil
}

// apiOption sets one option of an api step from its value.
func (p *parser) apiOption(st *Step, word string, v token) error {
	switch word {
	case "id":
		if v.text == "" {
			return p.errAt(v.col, "api id needs a recording id")
		}
		st.RecID = v.text
	case "record":
		if v.text != "source" && v.text != "destination" {
			return p.errAt(v.col, "api record is source or destination, got %q", v.text)
		}
		st.Record = v.text
	case "partitions":
		if strings.TrimSpace(v.text) == "" {
			return p.errAt(v.col, "api partitions needs a comma list: partitions \"quality,eu\"")
		}
		st.Partitions = v.text
	case "customer":
		if !validName(v.text) {
			return p.errAt(v.col, "bad customer name %q: use letters, digits, '.', '_' and '-'", v.text)
		}
		st.Name = v.text
	case "chat":
		if v.text == "" {
			return p.errAt(v.col, "api chat needs an interaction id: chat chat-3")
		}
		st.Chat = v.text
	case "expect":
		if !slices.Contains(APICodes, v.text) {
			return p.errAt(v.col, "api expect names an error code of the recording API, got %q: one of %s", v.text, strings.Join(APICodes, ", "))
		}
		st.ExpectCode = v.text
	}
	return nil
}

// APIOperation returns the numeric code of an api step's operation as
// written ("stop" → "3014", "3015" → "3015"), or "" when it is none.
func APIOperation(op string) string { return apiOps[strings.ToLower(op)] }
