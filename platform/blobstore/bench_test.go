package blobstore_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/kabinet/kabinet/domain"
	"github.com/kabinet/kabinet/platform/blobstore"
	"github.com/kabinet/kabinet/platform/blobstore/blobstoretest"
	"github.com/kabinet/kabinet/platform/sqldb/sqltest"
)

// BenchmarkPutOpen stores and reads back a 1 MiB scan, in files and in
// PostgreSQL rows.
func BenchmarkPutOpen(b *testing.B) {
	scan := blobstoretest.PDF(1 << 20)
	stores := map[string]func(b *testing.B) blobstore.Store{
		"file": func(b *testing.B) blobstore.Store {
			dir := b.TempDir()
			s, err := blobstore.NewFileStore(dir, pgKey, blobstoretest.NewKeys())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"postgres": func(b *testing.B) blobstore.Store {
			s, err := blobstore.NewPGStore(context.Background(), sqltest.PG(b), pgKey, blobstoretest.NewKeys())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"file", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := stores[name](b)
			b.SetBytes(int64(len(scan)))
			for b.Loop() {
				blob, err := s.Put(context.Background(), blobstoretest.Owner, bytes.NewReader(scan), domain.MaxScanSize)
				if err != nil {
					b.Fatal(err)
				}
				rc, _, err := s.Open(context.Background(), blob.ID)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					b.Fatal(err)
				}
				rc.Close()
			}
		})
	}
}
