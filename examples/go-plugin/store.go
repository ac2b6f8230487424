package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log"
	"sort"
	"sync"
	"time"
)

// Job is one scheduled task.
type Job struct {
	ID      string
	Task    string
	Cron    string
	UserID  string
	GroupID string
	spec    *CronSpec
	work    func() any
	seq     uint64

	Runs       int
	LastResult any
	HasResult  bool
}

// JobView is how GET /jobs shows a job.
type JobView struct {
	JobID      string `json:"job_id"`
	Task       string `json:"task"`
	Cron       string `json:"cron"`
	UserID     string `json:"user_id,omitempty"`
	GroupID    string `json:"group_id,omitempty"`
	Runs       int    `json:"runs"`
	LastResult any    `json:"last_result,omitempty"`
}

// Store keeps the scheduled jobs, at most one per task.
type Store struct {
	mu     sync.Mutex
	byID   map[string]*Job
	byTask map[string]*Job
	seq    uint64
}

func NewStore() *Store {
	return &Store{byID: map[string]*Job{}, byTask: map[string]*Job{}}
}

func newID(prefix string) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b)
}

// Schedule adds a job for j.Task. If that task already has a schedule, the
// schedule is replaced in place: the job keeps its job_id and its place in
// the list, but takes the new cron, ids and input, and its run count and
// last result start again from nothing.
func (s *Store) Schedule(j *Job) *Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.byTask[j.Task]; ok {
		j.ID, j.seq = old.ID, old.seq
	} else {
		j.ID = newID("job-")
		s.seq++
		j.seq = s.seq
	}
	s.byID[j.ID] = j
	s.byTask[j.Task] = j
	return j
}

// Delete removes a job; false if there is none with that id.
func (s *Store) Delete(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.byID[id]
	if !ok {
		return false
	}
	delete(s.byID, id)
	delete(s.byTask, j.Task)
	return true
}

// List returns the jobs in the order they were first scheduled.
func (s *Store) List() []JobView {
	s.mu.Lock()
	defer s.mu.Unlock()
	jobs := make([]*Job, 0, len(s.byID))
	for _, j := range s.byID {
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].seq < jobs[b].seq })
	out := make([]JobView, 0, len(jobs))
	for _, j := range jobs {
		v := JobView{JobID: j.ID, Task: j.Task, Cron: j.Cron, UserID: j.UserID, GroupID: j.GroupID, Runs: j.Runs}
		if j.HasResult {
			v.LastResult = j.LastResult
		}
		out = append(out, v)
	}
	return out
}

// Tick runs every job whose schedule selects the minute of t (in t's
// location; the scheduler passes UTC) and records the results. It returns how many jobs ran.
func (s *Store) Tick(t time.Time) int {
	s.mu.Lock()
	var due []*Job
	for _, j := range s.byID {
		if j.spec.Matches(t) {
			due = append(due, j)
		}
	}
	s.mu.Unlock()
	sort.Slice(due, func(a, b int) bool { return due[a].seq < due[b].seq })
	for _, j := range due {
		result := j.work()
		s.mu.Lock()
		// A job replaced or deleted while it ran keeps nothing.
		if s.byID[j.ID] == j {
			j.Runs++
			j.LastResult, j.HasResult = result, true
		}
		s.mu.Unlock()
		log.Printf("ran %s (task %s, cron %q)", j.ID, j.Task, j.Cron)
	}
	return len(due)
}

// RunScheduler wakes at every minute boundary and runs the jobs due in that
// minute, matched in UTC (as Cascadence's cronyx backend expects), until ctx
// is done.
func (s *Store) RunScheduler(ctx context.Context) {
	for {
		next := time.Now().Truncate(time.Minute).Add(time.Minute)
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		s.Tick(next.UTC())
	}
}
