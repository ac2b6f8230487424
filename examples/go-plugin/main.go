// Command cronyx-go-plugin is an example Cronyx v1 plugin server: it offers
// three small tasks over HTTP+JSON, runs them on demand and on cron
// schedules. Cascadence's `cronyx` backend is its client. Standard library
// only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8787", "listen address host:port (port 0 picks a free port)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	log.SetPrefix("cronyx-go-plugin: ")
	if err := run(*addr); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	store := NewStore()
	srv := &http.Server{
		Handler:           NewServer(store),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	// os.Stdout is unbuffered: the line is out once Println returns.
	fmt.Printf("listening on http://%s\n", ln.Addr())

	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		store.RunScheduler(ctx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal now kills the process the default way
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	<-schedDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Print("stopped")
	return nil
}
