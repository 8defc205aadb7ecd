// Command apibench measures Backend API call throughput through the Go wrapper (a
// benchmark for bench/run.sh: prints, asserts nothing), against a Clerk emulator on
// 127.0.0.1:
//
//	apibench URL SECRET get N USER_ID    N sequential users.get, decoded into clerk.User
//	apibench URL SECRET list TOTAL PAGE  Pages over users.list (limit PAGE), each page
//	                                     decoded into []clerk.User, until TOTAL users
//
// It prints one JSON line: calls, items, wall seconds and process CPU seconds (getrusage)
// around the loop.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	clerk "github.com/libclerk/libclerk/bindings/go"
)

func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 6 {
		fmt.Fprintln(os.Stderr, "usage: apibench URL SECRET get N USER_ID | list TOTAL PAGE")
		os.Exit(2)
	}
	client, err := clerk.NewClient(clerk.Config{APIURL: os.Args[1], SecretKey: os.Args[2]})
	if err != nil {
		fail(err)
	}
	defer client.Close()
	mode := os.Args[3]
	n, err := strconv.Atoi(os.Args[4])
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	calls, items := 0, 0
	wall, cpu := time.Now(), cpuSeconds()
	switch mode {
	case "get":
		for i := 0; i < n; i++ {
			var user clerk.User
			if err := client.CallInto(ctx, clerk.OpUsersGet, clerk.Params{"user_id": os.Args[5]}, &user); err != nil {
				fail(err)
			}
		}
		calls, items = n, n
	case "list":
		page, err := strconv.Atoi(os.Args[5])
		if err != nil {
			fail(err)
		}
		pages := client.Pages(ctx, clerk.OpUsersList, clerk.Params{"limit": page})
		// Bounded: at most TOTAL users, and the iterator ends at the last page.
		for items < n && pages.Next() {
			var users []clerk.User
			if err := json.Unmarshal(pages.Page(), &users); err != nil {
				fail(err)
			}
			calls++
			items += len(users)
		}
		if err := pages.Err(); err != nil {
			fail(err)
		}
		pages.Close()
	default:
		fail(fmt.Errorf("unknown mode %s", mode))
	}
	line, _ := json.Marshal(map[string]any{
		"bench": "api", "impl": "go", "mode": mode, "calls": calls, "items": items,
		"wall_s": time.Since(wall).Seconds(), "cpu_s": cpuSeconds() - cpu,
	})
	fmt.Println(string(line))
}
