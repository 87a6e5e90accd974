package session

// Version is agentdesk's release, one for every program: agentdesk,
// capture-agent and chathub print it for version and --version, and the
// desktop sends it to the hub in hello ("agentdesk/<Version>").
const Version = "0.1.0"
