package scheduler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type countingJob struct {
	mu   sync.Mutex
	runs []time.Time
	err  error
}

func (j *countingJob) Name() string { return "counting" }

func (j *countingJob) Run(_ context.Context, now time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.runs = append(j.runs, now)
	return j.err
}

func (j *countingJob) count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.runs)
}

func TestScheduler_RunAtRunsEveryJobEvenAfterAFailure(t *testing.T) {
	failing := &countingJob{err: errors.New("boom")}
	ok := &countingJob{}
	s := New(Options{}, failing, ok)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	err := s.RunAt(context.Background(), now)
	assert.ErrorContains(t, err, "boom")
	assert.Equal(t, []time.Time{now}, ok.runs)
}

// blockingJob holds its pass until released.
type blockingJob struct {
	started, release chan struct{}
}

func (j *blockingJob) Name() string { return "blocking" }

func (j *blockingJob) Run(context.Context, time.Time) error {
	j.started <- struct{}{}
	<-j.release
	return nil
}

func TestScheduler_APassSkipsWhileAnotherRuns(t *testing.T) {
	block := &blockingJob{started: make(chan struct{}, 2), release: make(chan struct{})}
	job := &countingJob{}
	s := New(Options{}, block, job)
	done := make(chan error)
	go func() { done <- s.RunOnce(context.Background()) }()
	<-block.started
	require.NoError(t, s.RunOnce(context.Background()))
	assert.Zero(t, job.count(), "skipped: the first pass is still running")
	close(block.release)
	require.NoError(t, <-done)
	assert.Equal(t, 1, job.count())
}

func TestScheduler_RunPassesAtOnceThenOnEveryTickUntilCancelled(t *testing.T) {
	job := &countingJob{}
	clock := func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	s := New(Options{Interval: 5 * time.Millisecond, Clock: clock}, job)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	require.Eventually(t, func() bool { return job.count() >= 3 }, 2*time.Second, time.Millisecond)
	cancel()
	assert.NoError(t, <-done)
	assert.Equal(t, clock(), job.runs[0], "the pass runs at the injected clock")
}
