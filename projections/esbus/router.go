package esbus

import (
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// PoisonTopic is the topic NewRouter hands exhausted messages to on the
// poison publisher.
const PoisonTopic = "poison"

// RetryConfig is how often and how patiently the router retries a failing
// handler before the message goes to the poison queue.
type RetryConfig struct {
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// InitialInterval is the pause before the first retry.
	InitialInterval time.Duration
	// Multiplier scales the pause after each retry (1 when zero: constant).
	Multiplier float64
	// MaxInterval caps the pause (unbounded when zero).
	MaxInterval time.Duration
}

// DefaultRetry retries five times over about three seconds.
var DefaultRetry = RetryConfig{MaxRetries: 5, InitialInterval: 100 * time.Millisecond, Multiplier: 2, MaxInterval: 2 * time.Second}

// NewRouter builds the router every projection runs in. Its middleware, from
// the outside in:
//
//   - CorrelationID: messages a handler produces keep the correlation id;
//   - PoisonQueue: a message its handler could not process even after the
//     retries is handed to poison (on PoisonTopic) with the error as
//     middleware.ReasonForPoisonedKey, then acked, so the handler moves on
//     to the next message; only if poison refuses it too is it nacked
//     (and redelivered);
//   - Retry: retries the handler with exponential backoff;
//   - Recoverer: turns a handler's panic into an error that Retry sees.
//
// A nil logger logs nothing.
func NewRouter(logger watermill.LoggerAdapter, poison message.Publisher, retry RetryConfig) (*message.Router, error) {
	if poison == nil {
		return nil, errors.New("esbus: new router: nil poison queue")
	}
	if retry.MaxRetries < 0 {
		return nil, fmt.Errorf("esbus: new router: negative MaxRetries %d", retry.MaxRetries)
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	router, err := message.NewRouter(message.RouterConfig{}, logger)
	if err != nil {
		return nil, fmt.Errorf("esbus: new router: %w", err)
	}
	poisonMW, err := middleware.PoisonQueue(poison, PoisonTopic)
	if err != nil {
		return nil, fmt.Errorf("esbus: new router: poison queue: %w", err)
	}
	multiplier := retry.Multiplier
	if multiplier == 0 {
		multiplier = 1
	}
	maxInterval := retry.MaxInterval
	if maxInterval == 0 {
		maxInterval = time.Duration(1<<63 - 1)
	}
	router.AddMiddleware(
		middleware.CorrelationID,
		poisonMW,
		middleware.Retry{
			MaxRetries:      retry.MaxRetries,
			InitialInterval: retry.InitialInterval,
			Multiplier:      multiplier,
			MaxInterval:     maxInterval,
			Logger:          logger,
		}.Middleware,
		middleware.Recoverer,
	)
	return router, nil
}
