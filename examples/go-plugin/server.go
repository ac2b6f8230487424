package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// Server is the Cronyx v1 HTTP API.
type Server struct {
	store *Store
}

func NewServer(store *Store) *Server { return &Server{store: store} }

type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{msg})
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
}

// ServeHTTP routes by path first, then method: a known path with another
// method is 405, any other path 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/health":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r, "GET")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case path == "/tasks":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r, "GET")
			return
		}
		writeJSON(w, http.StatusOK, Tasks)
	case strings.HasPrefix(path, "/tasks/") && len(path) > len("/tasks/") && !strings.Contains(path[len("/tasks/"):], "/"):
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r, "GET")
			return
		}
		id := path[len("/tasks/"):]
		t := FindTask(id)
		if t == nil {
			writeError(w, http.StatusNotFound, "unknown task: "+id)
			return
		}
		writeJSON(w, http.StatusOK, t)
	case path == "/jobs":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.store.List())
		case http.MethodPost:
			s.postJob(w, r)
		default:
			methodNotAllowed(w, r, "GET, POST")
		}
	case strings.HasPrefix(path, "/jobs/") && len(path) > len("/jobs/") && !strings.Contains(path[len("/jobs/"):], "/"):
		if r.Method != http.MethodDelete {
			methodNotAllowed(w, r, "DELETE")
			return
		}
		id := path[len("/jobs/"):]
		if !s.store.Delete(id) {
			writeError(w, http.StatusNotFound, "unknown job: "+id)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusNotFound, "not found: "+r.Method+" "+path)
	}
}

// JobRequest is the body of POST /jobs after validation.
type JobRequest struct {
	Task    string
	Cron    string
	HasCron bool
	UserID  string
	GroupID string
	Input   json.RawMessage
}

// parseJobRequest checks the shape of a POST /jobs body (not the task, cron
// or input themselves). The error is the 400 message.
func parseJobRequest(body []byte) (*JobRequest, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errors.New("request body must be a JSON object; got an empty body")
	}
	if !json.Valid(trimmed) {
		var v any
		err := json.Unmarshal(trimmed, &v)
		return nil, fmt.Errorf("malformed JSON body: %v", err)
	}
	var obj map[string]json.RawMessage
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &obj) != nil {
		return nil, errors.New("request body must be a JSON object")
	}
	req := &JobRequest{Input: obj["input"]}
	str := func(name string, required bool) (string, bool, error) {
		raw, ok := obj[name]
		if !ok || string(raw) == "null" {
			if required {
				return "", false, fmt.Errorf("field %q is required (a non-empty string)", name)
			}
			return "", false, nil
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", false, fmt.Errorf("field %q must be a string", name)
		}
		if required && v == "" {
			return "", false, fmt.Errorf("field %q is required (a non-empty string)", name)
		}
		return v, true, nil
	}
	var err error
	if req.Task, _, err = str("task", true); err != nil {
		return nil, err
	}
	if req.Cron, req.HasCron, err = str("cron", false); err != nil {
		return nil, err
	}
	if req.UserID, _, err = str("user_id", false); err != nil {
		return nil, err
	}
	if req.GroupID, _, err = str("group_id", false); err != nil {
		return nil, err
	}
	return req, nil
}

// RunResponse answers a run-now POST /jobs.
type RunResponse struct {
	JobID  string `json:"job_id"`
	Task   string `json:"task"`
	Status string `json:"status"`
	Result any    `json:"result"`
}

// ScheduleResponse answers a scheduling POST /jobs.
type ScheduleResponse struct {
	JobID string `json:"job_id"`
	Task  string `json:"task"`
	Cron  string `json:"cron"`
}

func (s *Server) postJob(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", maxBody))
			return
		}
		writeError(w, http.StatusBadRequest, "cannot read request body: "+err.Error())
		return
	}
	req, err := parseJobRequest(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	task := FindTask(req.Task)
	if task == nil {
		writeError(w, http.StatusNotFound, "unknown task: "+req.Task)
		return
	}
	var spec *CronSpec
	if req.HasCron {
		if spec, err = ParseCron(req.Cron); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	work, err := task.Prepare(req.Input)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if spec == nil {
		writeJSON(w, http.StatusOK, RunResponse{JobID: newID("run-"), Task: task.ID, Status: "completed", Result: work()})
		return
	}
	j := s.store.Schedule(&Job{Task: task.ID, Cron: req.Cron, UserID: req.UserID, GroupID: req.GroupID, spec: spec, work: work})
	writeJSON(w, http.StatusCreated, ScheduleResponse{JobID: j.ID, Task: j.Task, Cron: j.Cron})
}
