package hubclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/agentdesk/agentdesk/session"
)

// Files in a chat (R-I6): the agent's side of POST and GET
// /v1/chats/{chat}/files (docs/protocol.md). The line a file becomes also
// comes as a message frame on Events.

// SendFile sends size bytes from r as a file named name into chat. It
// returns the line the file became; a refusal is an error with the hub's
// words (and a line on both sides).
func (c *Client) SendFile(ctx context.Context, chat, name string, r io.Reader, size int64) (session.MessageData, error) {
	u, err := c.httpURL("/v1/chats/" + url.PathEscape(chat) + "/files")
	if err != nil {
		return session.MessageData{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u+"?name="+url.QueryEscape(name), r)
	if err != nil {
		return session.MessageData{}, fmt.Errorf("hubclient: send file: %w", err)
	}
	req.ContentLength = size
	b, err := c.do(req, 64<<10)
	if err != nil {
		return session.MessageData{}, fmt.Errorf("hubclient: send file %s: %w", name, err)
	}
	var ans session.FileAnswer
	if err := json.Unmarshal(b, &ans); err != nil {
		return session.MessageData{}, fmt.Errorf("hubclient: send file: %w", err)
	}
	return ans.Line, nil
}

// FetchFile writes a file of chat (its FileData.ID) to w.
func (c *Client) FetchFile(ctx context.Context, chat, id string, w io.Writer) (int64, error) {
	u, err := c.httpURL("/v1/chats/" + url.PathEscape(chat) + "/files/" + url.PathEscape(id))
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("hubclient: fetch file: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, fmt.Errorf("hubclient: fetch file: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("hubclient: fetch file: %s: %.200s", resp.Status, b)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("hubclient: fetch file: %w", err)
	}
	return n, nil
}

// httpURL is the hub's HTTP address of path.
func (c *Client) httpURL(path string) (string, error) {
	u, err := url.Parse(c.url)
	if err != nil {
		return "", fmt.Errorf("hubclient: %w", err)
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	}
	u.Path = strings.TrimSuffix(u.Path, "/v1/agent") + path
	u.RawQuery = ""
	return u.String(), nil
}

func (c *Client) httpClient() *http.Client {
	if o := c.opt.dialOptions; o != nil && o.HTTPClient != nil {
		return o.HTTPClient
	}
	return http.DefaultClient
}

// do sends req with the agent's token and returns the body of a 2xx
// answer (at most limit bytes), or an error with the hub's words.
func (c *Client) do(req *http.Request, limit int64) ([]byte, error) {
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return nil, fmt.Errorf("%s: %s", resp.Status, e.Error.Message)
		}
		return nil, fmt.Errorf("%s: %.200s", resp.Status, b)
	}
	return b, nil
}
