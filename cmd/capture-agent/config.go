package main

import (
	"context"
	"fmt"
	"io"

	"github.com/agentdesk/agentdesk/capture/service"
)

const configSynopsis = `Usage: capture-agent config check FILE
       capture-agent config show [--config FILE] [--user-config FILE]

check validates one config file (every key known, every value in range,
the combinations sound) and names the file, line and key of the first
problem. show prints the merged config (the system file IT pushes, then
the user's override, over the defaults) and where each value came from.
The keys, their defaults and meanings: docs/capture-service.md, and the
commented default file /etc/agentdesk/capture.yaml.

Exit codes: 0 good, 2 a bad file or bad flags.`

func (m *Main) config(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("capture-agent config", configSynopsis)
	if len(args) == 0 {
		return usageErr(fs, stderr, "check or show?")
	}
	switch args[0] {
	case "check":
		fs = flagSet("capture-agent config check", configSynopsis)
		pos, err := parse(fs, args[1:], 1, stdout, stderr)
		if err != nil {
			return err
		}
		if len(pos) == 0 {
			return usageErr(fs, stderr, "which file? give FILE")
		}
		if err := service.Check(pos[0]); err != nil {
			fmt.Fprintf(stderr, "capture-agent: config: %v\n", err)
			return errBadConfig
		}
		fmt.Fprintf(stdout, "%s: good\n", pos[0])
		return nil
	case "show":
		fs = flagSet("capture-agent config show", configSynopsis)
		cf := m.addConfigFlags(fs)
		if _, err := parse(fs, args[1:], 0, stdout, stderr); err != nil {
			return err
		}
		l, err := cf.load(stderr)
		if err != nil {
			return err
		}
		l.Show(stdout)
		return nil
	case "-h", "-help", "--help", "help":
		_, err := parse(fs, []string{"-help"}, 0, stdout, stderr)
		return err
	}
	return usageErr(fs, stderr, "unknown config command %q: check or show", args[0])
}
