package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// soakReporter prints, every interval of a long bench, what a soak test
// watches: throughput and p99 of commands and reads in that interval, the
// process's resident memory, the Go heap, and the size of the SQLite WAL
// files (bounded when checkpoints run).
type soakReporter struct {
	out     io.Writer
	lat     *latencies
	dataDir string
	start   time.Time
	seen    map[string]int // per kind, how many latencies earlier intervals took
}

func newSoakReporter(out io.Writer, lat *latencies, dataDir string) *soakReporter {
	fmt.Fprintf(out, "%8s %10s %12s %12s %9s %9s %14s %12s\n",
		"minute", "flows/s", "cmd_p99_ms", "read_p99_ms", "rss_mib", "heap_mib", "events_wal_kib", "read_wal_kib")
	return &soakReporter{out: out, lat: lat, dataDir: dataDir, start: time.Now(), seen: map[string]int{}}
}

// report prints one line for the interval since the last report.
func (s *soakReporter) report(interval time.Duration) {
	var cmds, reads []time.Duration
	flows := 0
	s.lat.mu.Lock()
	for kind, ds := range s.lat.by {
		fresh := ds[s.seen[kind]:]
		s.seen[kind] = len(ds)
		switch {
		case strings.HasSuffix(kind, "_read"):
			reads = append(reads, fresh...)
		default:
			cmds = append(cmds, fresh...)
		}
		if kind == "register" {
			flows = len(fresh)
		}
	}
	s.lat.mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(s.out, "%8.1f %10.0f %12.2f %12.2f %9.1f %9.1f %14d %12d\n",
		time.Since(s.start).Minutes(), float64(flows)/interval.Seconds(), p99ms(cmds), p99ms(reads),
		float64(rssBytes())/(1<<20), float64(ms.HeapInuse)/(1<<20),
		fileSize(filepath.Join(s.dataDir, "events.db-wal"))/1024, fileSize(filepath.Join(s.dataDir, "read.db-wal"))/1024)
}

func p99ms(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[int(0.99*float64(len(ds)-1))].Microseconds()) / 1000
}

// rssBytes is the process's resident set size (Linux /proc; 0 elsewhere).
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
