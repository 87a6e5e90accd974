// Package configs embeds the example configuration files, so the demo runs
// on exactly the file that ships in the repository.
package configs

import _ "embed"

// ChatHub is the example hub configuration, configs/chathub.yaml.
//
//go:embed chathub.yaml
var ChatHub []byte
