//go:build cgo

package noorle

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Two users of the library in one process, each with its own completion queue, submitting at
// the same time with the same tags: every caller gets its own answer, none is lost or swapped.
// With one process-wide queue, one user's collector took the other's completions (a lost
// answer, or with colliding tags the wrong one).
func TestTwoQueuesInOneProcessKeepTheirOwnCompletions(t *testing.T) {
	base, root := os.Getenv("NOORLE_BASE_URL"), os.Getenv("NOORLE_DEV_ROOT_KEY")
	if base == "" || root == "" {
		t.Fatal("NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY are unset: run under scripts/with-devserver")
	}
	ctx := context.Background()
	client := func(key string) *Client {
		c, err := NewClient(WithAPIKey(key), WithBaseURL(base), WithoutEnvironment())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	admin := client(root)
	sa, err := admin.ServiceAccounts.Create(ctx, CreateServiceAccountParams{Name: fmt.Sprintf("go-queues-%d", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.ServiceAccounts.Delete(ctx, sa.ServiceAccount.ID) })
	users := make([]struct {
		q  *queue
		c  *Client
		id string
	}, 2)
	for i := range users {
		k, err := admin.ServiceAccounts.CreateKey(ctx, sa.ServiceAccount.ID, CreateAPIKeyParams{Name: fmt.Sprintf("user-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		// One collector waits in Go's poller (where the platform has a readiness fd), the other
		// in C: both ways are exercised.
		users[i].q, users[i].c, users[i].id = newQueue(i == 0), client(k.Key.ExposeSecret()), k.Key.AccessID()
	}
	if users[1].q.file != nil || (runtime.GOOS == "linux" && users[0].q.file == nil) {
		t.Fatalf("collectors: want the first polled on Linux and the second waiting in C, got files %v, %v", users[0].q.file, users[1].q.file)
	}
	if users[0].q.q == users[1].q.q {
		t.Fatal("the two users share one queue")
	}

	const perUser = 16
	type answer struct {
		user int
		id   string
		err  error
	}
	answers := make(chan answer, 2*perUser)
	var wg sync.WaitGroup
	for u := range users {
		for range perUser {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var out struct {
					APIKey APIKeyRecord `json:"api_key"`
				}
				// Each queue numbers its own tags from 1: the two users' tags collide.
				err := users[u].q.submit(users[u].c.h.ptr, opOnly{"whoami"}, nil, into(&out, "whoami"))
				answers <- answer{u, out.APIKey.ID, err}
			}()
		}
	}
	// (A lost completion would leave its caller waiting: the suite's -timeout reports it.)
	wg.Wait()
	close(answers)
	got := [2]int{}
	for a := range answers {
		if a.err != nil {
			t.Fatalf("user %d: %v", a.user, a.err)
		}
		if a.id != users[a.user].id {
			t.Errorf("user %d got the answer of key %s, want its own %s", a.user, a.id, users[a.user].id)
		}
		got[a.user]++
	}
	if got != [2]int{perUser, perUser} {
		t.Errorf("answers per user %v, want %d each", got, perUser)
	}
	for u := range users {
		users[u].q.mu.Lock()
		left := len(users[u].q.pending)
		users[u].q.mu.Unlock()
		if left != 0 {
			t.Errorf("user %d: %d submissions still pending", u, left)
		}
	}
}
