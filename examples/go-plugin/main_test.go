package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// ---- tasks ----

func TestWordCount(t *testing.T) {
	cases := []struct {
		text string
		want WordCountResult
	}{
		{"", WordCountResult{0, 0, 0}},
		{"hello", WordCountResult{1, 1, 5}},
		{"hello world\nfoo", WordCountResult{3, 2, 15}},
		{"a\n", WordCountResult{1, 2, 2}},
		{"\n\n", WordCountResult{0, 3, 2}},
		{"  spaced\tout \r\n words  ", WordCountResult{3, 2, 23}},
		{"héllo wörld ✓", WordCountResult{3, 1, 13}},
		{"a\u00a0b\u3000c", WordCountResult{3, 1, 5}}, // Unicode spaces separate words
	}
	for _, c := range cases {
		if got := wordCount(c.text); got != c.want {
			t.Errorf("wordCount(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

func TestSHA256(t *testing.T) {
	cases := map[string]string{
		"":        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"abc":     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"héllo ✓": "5657cdef8a85a584e0e961e6f8247cf5d3f8ed21496ed6fdbcfd43a761e94245",
	}
	for in, want := range cases {
		if got := sha256Hex(in); got != want {
			t.Errorf("sha256(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFib(t *testing.T) {
	want := map[int]uint64{0: 0, 1: 1, 2: 1, 10: 55, 50: 12586269025, 78: 8944394323791464, 90: 2880067194370816120}
	for n, v := range want {
		if got := fib(n); got != v {
			t.Errorf("fib(%d) = %d, want %d", n, got, v)
		}
	}
}

func prepare(t *testing.T, task, input string) (any, error) {
	t.Helper()
	work, err := FindTask(task).Prepare(json.RawMessage(input))
	if err != nil {
		return nil, err
	}
	return work(), nil
}

func TestTaskInputValidation(t *testing.T) {
	cases := []struct{ task, input, err string }{
		{"word-count", ``, "input.text is required (a string)"},
		{"word-count", `null`, "input.text is required (a string)"},
		{"word-count", `{}`, "input.text is required (a string)"},
		{"word-count", `{"text":5}`, "input.text must be a string"},
		{"word-count", `"text"`, "input must be a JSON object"},
		{"word-count", `[1]`, "input must be a JSON object"},
		{"sha256", `{"text":null}`, "input.text is required (a string)"},
		{"sha256", `{"text":["a"]}`, "input.text must be a string"},
		{"fib", `{}`, "input.n is required (an integer from 0 to 90)"},
		{"fib", `{"n":"5"}`, "input.n must be an integer"},
		{"fib", `{"n":true}`, "input.n must be an integer"},
		{"fib", `{"n":2.5}`, "input.n must be an integer"},
		{"fib", `{"n":-1}`, "input.n must be between 0 and 90"},
		{"fib", `{"n":91}`, "input.n must be between 0 and 90"},
		{"fib", `{"n":1e3}`, "input.n must be between 0 and 90"},
		{"fib", `{"n":1e400}`, "input.n must be between 0 and 90"},
	}
	for _, c := range cases {
		_, err := prepare(t, c.task, c.input)
		var ie *inputError
		if !errors.As(err, &ie) || ie.msg != c.err {
			t.Errorf("%s %s: err = %v, want %q", c.task, c.input, err, c.err)
		}
	}
	if got, err := prepare(t, "fib", `{"n":10.0}`); err != nil || got.(FibResult).Value != 55 {
		t.Errorf("fib 10.0 = %v, %v", got, err)
	}
	if got, err := prepare(t, "word-count", `{"text":"a b","extra":1}`); err != nil || got.(WordCountResult).Words != 2 {
		t.Errorf("word-count with extra field = %v, %v", got, err)
	}
}

// ---- cron ----

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, time.UTC)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseCronErrors(t *testing.T) {
	bad := []string{
		"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
		"* * * 0 *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *",
		"1,,2 * * * *", "*/ * * * *", "1- * * * *", "-1 * * * *", "* * * jan *", "* * * * mon",
		"*/61 * * * *", "99999 * * * *",
	}
	for _, expr := range bad {
		_, err := ParseCron(expr)
		if err == nil {
			t.Errorf("ParseCron(%q) accepted", expr)
			continue
		}
		if !strings.HasPrefix(err.Error(), "invalid cron") {
			t.Errorf("ParseCron(%q) error %q does not start with 'invalid cron'", expr, err)
		}
	}
	_, err := ParseCron("61 * * * *")
	if err == nil || !strings.Contains(err.Error(), "minute field") {
		t.Errorf("error does not name the field: %v", err)
	}
}

func TestCronMatches(t *testing.T) {
	cases := []struct {
		expr, time string
		want       bool
	}{
		{"* * * * *", "2024-05-17 13:42", true},
		{"*/15 * * * *", "2024-05-17 13:45", true},
		{"*/15 * * * *", "2024-05-17 13:46", false},
		{"0 9-17 * * *", "2024-05-17 09:00", true},
		{"0 9-17 * * *", "2024-05-17 18:00", false},
		{"0 9-17/4 * * *", "2024-05-17 13:00", true},
		{"0 9-17/4 * * *", "2024-05-17 15:00", false},
		{"5/20 * * * *", "2024-05-17 10:45", true},
		{"5/20 * * * *", "2024-05-17 10:40", false},
		{"1,2,30-31 * * * *", "2024-05-17 10:31", true},
		{"1,2,30-31 * * * *", "2024-05-17 10:03", false},
		{"30 4 1 1 *", "2024-01-01 04:30", true},
		{"30 4 1 1 *", "2024-02-01 04:30", false},
		// 2024-05-19 is a Sunday: 0 and 7 both mean Sunday.
		{"0 0 * * 0", "2024-05-19 00:00", true},
		{"0 0 * * 7", "2024-05-19 00:00", true},
		{"0 0 * * 6-7", "2024-05-19 00:00", true},
		{"0 0 * * 1-5", "2024-05-19 00:00", false},
		{"0 0 * * 1-5", "2024-05-17 00:00", true},
		// both day fields restricted: either one matching is enough (Vixie cron)
		{"0 0 13 * 5", "2024-05-17 00:00", true},  // Friday the 17th
		{"0 0 13 * 5", "2024-05-13 00:00", true},  // Monday the 13th
		{"0 0 13 * 5", "2024-05-14 00:00", false}, // Tuesday the 14th
		// one of them '*': both must match
		{"0 0 */2 * 5", "2024-05-17 00:00", true},
		{"0 0 */2 * 5", "2024-05-10 00:00", false},
	}
	for _, c := range cases {
		spec, err := ParseCron(c.expr)
		if err != nil {
			t.Fatalf("ParseCron(%q): %v", c.expr, err)
		}
		if got := spec.Matches(at(c.time)); got != c.want {
			t.Errorf("%q at %s = %v, want %v", c.expr, c.time, got, c.want)
		}
	}
}

// ---- store / scheduler ----

func TestStoreScheduleTickReplaceDelete(t *testing.T) {
	s := NewStore()
	every, _ := ParseCron("* * * * *")
	hourly, _ := ParseCron("0 * * * *")
	work, _ := FindTask("fib").Prepare(json.RawMessage(`{"n":10}`))
	j := s.Schedule(&Job{Task: "fib", Cron: "* * * * *", UserID: "u1", spec: every, work: work})
	if !strings.HasPrefix(j.ID, "job-") {
		t.Fatalf("job id %q", j.ID)
	}
	if n := s.Tick(at("2024-05-17 10:01")); n != 1 {
		t.Fatalf("Tick ran %d jobs", n)
	}
	s.Tick(at("2024-05-17 10:02"))
	list := s.List()
	if len(list) != 1 || list[0].Runs != 2 || list[0].UserID != "u1" || list[0].LastResult.(FibResult).Value != 55 {
		t.Fatalf("after two ticks: %+v", list)
	}

	// replacing keeps the job id and restarts the counters
	j2 := s.Schedule(&Job{Task: "fib", Cron: "0 * * * *", spec: hourly, work: work})
	if j2.ID != j.ID {
		t.Fatalf("replacement changed id %s -> %s", j.ID, j2.ID)
	}
	list = s.List()
	if len(list) != 1 || list[0].Runs != 0 || list[0].LastResult != nil || list[0].Cron != "0 * * * *" || list[0].UserID != "" {
		t.Fatalf("after replace: %+v", list)
	}
	if n := s.Tick(at("2024-05-17 10:03")); n != 0 {
		t.Fatalf("hourly job ran at 10:03")
	}
	if n := s.Tick(at("2024-05-17 11:00")); n != 1 {
		t.Fatalf("hourly job did not run at 11:00")
	}

	if s.Delete("job-nope") {
		t.Fatal("deleted an unknown job")
	}
	if !s.Delete(j.ID) || len(s.List()) != 0 || s.Tick(at("2024-05-17 12:00")) != 0 {
		t.Fatal("delete did not remove the job")
	}
}

// ---- handlers ----

type resp struct {
	status int
	ctype  string
	body   string
}

func do(t *testing.T, h http.Handler, method, path, body string) resp {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return resp{rec.Code, rec.Header().Get("Content-Type"), strings.TrimSpace(rec.Body.String())}
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

func TestHandlers(t *testing.T) {
	h := NewServer(NewStore())
	check := func(r resp, status int, bodyHas string) {
		t.Helper()
		if r.status != status || r.ctype != "application/json" || !strings.Contains(r.body, bodyHas) {
			t.Errorf("got %d %q %s; want %d containing %s", r.status, r.ctype, r.body, status, bodyHas)
		}
	}

	check(do(t, h, "GET", "/health", ""), 200, `{"status":"ok"}`)
	tasks := decode[[]map[string]string](t, do(t, h, "GET", "/tasks", "").body)
	if len(tasks) != 3 || tasks[0]["id"] != "word-count" || tasks[1]["id"] != "sha256" || tasks[2]["id"] != "fib" || tasks[2]["name"] == "" || tasks[2]["description"] == "" {
		t.Errorf("tasks: %v", tasks)
	}
	check(do(t, h, "GET", "/tasks/fib", ""), 200, `"id":"fib"`)
	check(do(t, h, "GET", "/tasks/nope", ""), 404, `{"error":"unknown task: nope"}`)

	// run now
	r := do(t, h, "POST", "/jobs", `{"task":"word-count","user_id":"9f86d0","group_id":"abc","input":{"text":"hello world\nfoo"}}`)
	check(r, 200, `"status":"completed"`)
	run := decode[map[string]any](t, r.body)
	if len(run) != 4 || run["task"] != "word-count" || !strings.HasPrefix(run["job_id"].(string), "run-") {
		t.Errorf("run response: %v", run)
	}
	if res := run["result"].(map[string]any); res["words"] != 3.0 || res["lines"] != 2.0 || res["chars"] != 15.0 {
		t.Errorf("word-count result: %v", res)
	}
	check(do(t, h, "POST", "/jobs", `{"task":"sha256","input":{"text":"abc"}}`), 200, `"result":{"hex":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}`)
	check(do(t, h, "POST", "/jobs", `{"task":"fib","input":{"n":90}}`), 200, `"result":{"n":90,"value":2880067194370816120}`)

	// errors on POST /jobs
	check(do(t, h, "POST", "/jobs", `{"task":"nope"}`), 404, `{"error":"unknown task: nope"}`)
	check(do(t, h, "POST", "/jobs", `{"task":"fib","input":{"n":91}}`), 400, `input.n must be between 0 and 90`)
	check(do(t, h, "POST", "/jobs", `{"task":"sha256","input":{}}`), 400, `input.text is required`)
	check(do(t, h, "POST", "/jobs", `{"task":`), 400, `malformed JSON body`)
	check(do(t, h, "POST", "/jobs", ``), 400, `must be a JSON object`)
	check(do(t, h, "POST", "/jobs", `[1,2]`), 400, `must be a JSON object`)
	check(do(t, h, "POST", "/jobs", `{"input":{}}`), 400, `field \"task\" is required`)
	check(do(t, h, "POST", "/jobs", `{"task":""}`), 400, `field \"task\" is required`)
	check(do(t, h, "POST", "/jobs", `{"task":7}`), 400, `field \"task\" must be a string`)
	check(do(t, h, "POST", "/jobs", `{"task":"fib","user_id":7,"input":{"n":1}}`), 400, `field \"user_id\" must be a string`)
	check(do(t, h, "POST", "/jobs", `{"task":"fib","cron":"61 * * * *","input":{"n":1}}`), 400, `{"error":"invalid cron`)
	check(do(t, h, "POST", "/jobs", `{"task":"fib","cron":5,"input":{"n":1}}`), 400, `field \"cron\" must be a string`)
	check(do(t, h, "POST", "/jobs", `{"task":"fib","cron":"* * * * *","input":{"n":"x"}}`), 400, `input.n must be an integer`)
	check(do(t, h, "POST", "/jobs", strings.Repeat(" ", maxBody+1)), 413, `request body larger than`)

	// schedule, replace, list, delete
	r = do(t, h, "POST", "/jobs", `{"task":"fib","cron":"*/5 * * * *","user_id":"u","input":{"n":10}}`)
	check(r, 201, `"cron":"*/5 * * * *"`)
	sched := decode[map[string]string](t, r.body)
	if len(sched) != 3 || sched["task"] != "fib" || !strings.HasPrefix(sched["job_id"], "job-") {
		t.Errorf("schedule response: %v", sched)
	}
	r = do(t, h, "POST", "/jobs", `{"task":"fib","cron":"* * * * *","group_id":"g","input":{"n":12}}`)
	check(r, 201, `"job_id":"`+sched["job_id"]+`"`)
	check(do(t, h, "POST", "/jobs", `{"task":"sha256","cron":"0 0 * * 7","input":{"text":"x"}}`), 201, `"task":"sha256"`)
	h.store.Tick(at("2024-05-17 10:00"))
	jobs := decode[[]map[string]any](t, do(t, h, "GET", "/jobs", "").body)
	if len(jobs) != 2 || jobs[0]["task"] != "fib" || jobs[0]["runs"] != 1.0 || jobs[0]["group_id"] != "g" || jobs[0]["user_id"] != nil ||
		jobs[0]["last_result"].(map[string]any)["value"] != 144.0 || jobs[1]["runs"] != 0.0 || jobs[1]["last_result"] != nil {
		t.Errorf("jobs: %v", jobs)
	}
	r = do(t, h, "DELETE", "/jobs/"+sched["job_id"], "")
	if r.status != 204 || r.body != "" {
		t.Errorf("delete: %+v", r)
	}
	check(do(t, h, "DELETE", "/jobs/"+sched["job_id"], ""), 404, `unknown job: `+sched["job_id"])
	if jobs := decode[[]map[string]any](t, do(t, h, "GET", "/jobs", "").body); len(jobs) != 1 {
		t.Errorf("jobs after delete: %v", jobs)
	}

	// other paths and methods
	check(do(t, h, "GET", "/nope", ""), 404, `"error"`)
	check(do(t, h, "GET", "/tasks/fib/x", ""), 404, `"error"`)
	check(do(t, h, "GET", "/", ""), 404, `"error"`)
	check(do(t, h, "POST", "/health", ""), 405, `"error"`)
	check(do(t, h, "DELETE", "/tasks", ""), 405, `"error"`)
	check(do(t, h, "PUT", "/jobs", ""), 405, `"error"`)
	check(do(t, h, "GET", "/jobs/x", ""), 405, `"error"`)
	if r := do(t, h, "PUT", "/jobs", ""); r.status == 405 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("PUT", "/jobs", nil))
		if rec.Header().Get("Allow") != "GET, POST" {
			t.Errorf("Allow = %q", rec.Header().Get("Allow"))
		}
	}
}
