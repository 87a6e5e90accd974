package ui

import "strings"

// plaintextWarning is what the warning line says when recordings would
// not be encrypted.
const plaintextWarning = "recordings are NOT encrypted: the hub has no store key (store.recipient) and this desktop none (--recipient) — pass --allow-plaintext to record unencrypted on purpose"

// keyWarning adds the plaintext warning to the warning line, or takes it
// away, as the hub's welcome tells a store key or not.
func (m *Model) keyWarning() {
	w := m.base
	if m.needKey && m.desk.Recipient == "" {
		w = strings.TrimPrefix(w+" — "+plaintextWarning, " — ")
	}
	if w != m.warning {
		m.warning = w
		if strings.Contains(w, plaintextWarning) {
			m.setError("recordings would not be encrypted: see the line under the title")
		}
	}
}
