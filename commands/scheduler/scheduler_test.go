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

func TestScheduler_SkipsThePassWhenAnotherHoldsTheLease(t *testing.T) {
	lease := NewLocalLease()
	release, ok, err := lease.TryAcquire(context.Background())
	require.NoError(t, err)
	require.True(t, ok)
	job := &countingJob{}
	s := New(Options{Lease: lease}, job)
	require.NoError(t, s.RunOnce(context.Background()))
	assert.Zero(t, job.count(), "the lease is held elsewhere")
	release()
	require.NoError(t, s.RunOnce(context.Background()))
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
