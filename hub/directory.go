package hub

import (
	"net/http"
	"slices"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session"
)

// Picker is what a picker offers as transfer, conference and
// consultation targets (issue 14): every configured agent and queue with
// its availability and load, the /healthz counters per agent and per
// queue. It names no customer and no chat.
func (s *Server) Picker() session.Directory {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := session.Directory{Agents: []session.DirectoryAgent{}, Queues: []session.DirectoryQueue{}}
	for _, ac := range s.cfg.Agents {
		a := s.agents[ac.ID]
		if a == nil {
			continue
		}
		d.Agents = append(d.Agents, session.DirectoryAgent{
			ID: ac.ID, Name: ac.Name, Queues: slices.Clone(ac.Queues),
			Online: a.conn != nil, Ready: a.conn != nil && a.ready,
			Available: a.conn != nil && a.ready && a.load() < ac.Capacity,
			Load:      a.load(), Joined: len(a.joined), Consults: len(a.consults), Capacity: ac.Capacity,
		})
	}
	for _, q := range s.cfg.Queues {
		d.Queues = append(d.Queues, s.queueFigures(q))
	}
	return d
}

// queueFigures counts a queue's waiting chats and its online, ready and
// available agents. The caller holds the hub's lock, shared or exclusive.
func (s *Server) queueFigures(q QueueConfig) session.DirectoryQueue {
	dq := session.DirectoryQueue{Name: q.Name, Title: q.Title, Waiting: len(s.queues[q.Name])}
	for _, a := range s.agents {
		if a.conn == nil || !a.serves(q.Name) {
			continue
		}
		dq.Agents++
		if a.ready {
			dq.Ready++
		}
		if a.eligible(q.Name) {
			dq.Available++
		}
	}
	return dq
}

// serveDirectory is GET /v1/directory, for agents (their desktop's
// picker), supervisors and admins.
func (s *Server) serveDirectory(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(w, r, http.MethodGet)
	if !ok {
		return
	}
	if c.Role != api.RoleAgent && c.Role != api.RoleSupervisor && c.Role != api.RoleAdmin {
		api.WriteError(w, http.StatusForbidden, api.ErrForbidden, "the directory is for agents, supervisors and admins; %s %s is neither", c.Role, c.ID)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, s.Picker())
}
