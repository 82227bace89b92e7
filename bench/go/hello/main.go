// The smallest useful program on the SDK, for the binary-size benchmark: it links the whole
// client (NewClient, Whoami) so the size is what a real user pays.
package main

import (
	"context"
	"fmt"
	"os"

	noorle "github.com/noorle/noorle-sdk/bindings-go"
)

func main() {
	c, err := noorle.NewClient()
	if err != nil {
		fmt.Println("hello from noorle", noorle.Version(), "-", err)
		os.Exit(0)
	}
	defer c.Close()
	me, err := c.Whoami(context.Background())
	fmt.Println("hello from noorle", noorle.Version(), me, err)
}
