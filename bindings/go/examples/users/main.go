// Command users prints the ids of a Clerk instance's users, fetched page by page, with
// CLERK_SECRET_KEY (and CLERK_API_URL) from the environment.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"time"

	clerk "github.com/libclerk/libclerk/bindings/go"
)

func main() {
	client, err := clerk.NewClientFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := client.Pages(ctx, clerk.OpUsersList, clerk.Params{"limit": 100})
	defer it.Close()
	count := 0
	for it.Next() {
		var users []clerk.User
		if err := json.Unmarshal(it.Page(), &users); err != nil {
			log.Fatal(err)
		}
		for _, user := range users {
			fmt.Println(user.ID)
			count++
		}
	}
	if err := it.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d users (libclerk %s)\n", count, clerk.Version())
}
