package journal

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The remembered lists answer exactly what computing them does: the same
// stored form and set id whatever the order or repeats of the ids, the
// same leaf member, and still so once more lists came than are kept.
func TestListMemo_AnswersWhatComputingTheListGives(t *testing.T) {
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	want := slices.Sorted(slices.Values(ids))
	wantList := strings.Join(want, ",")
	wantSet := sha256.Sum256([]byte(wantList))
	wantLeaf := string(encodeAccountList(nil, wantList))

	reversed := slices.Clone(ids)
	slices.Reverse(reversed)
	for i, in := range [][]string{ids, ids, reversed, append(slices.Clone(ids), ids[3], ids[7])} {
		list, set := accountList(in)
		assert.Equal(t, wantList, list, "ask %d", i)
		assert.Equal(t, wantSet[:], set, "ask %d", i)
		assert.Equal(t, wantLeaf, string(appendAccountList(nil, list)), "ask %d", i)
		assert.Equal(t, `{"x":1`+wantLeaf, string(appendAccountList([]byte(`{"x":1`), []byte(list))), "ask %d, as bytes after others", i)
	}
	for n := range 2 * listMemoLimit {
		other := []string{fmt.Sprintf("b-%d", n), fmt.Sprintf("a-%d", n)}
		list, _ := accountList(other)
		require.Equal(t, fmt.Sprintf("a-%d,b-%d", n, n), list)
		require.Equal(t, fmt.Sprintf(`,"account_ids":["a-%d","b-%d"]`, n, n), string(appendAccountList(nil, list)))
	}
	list, set := accountList(ids)
	assert.Equal(t, wantList, list)
	assert.Equal(t, wantSet[:], set)
	assert.LessOrEqual(t, len(lists.stored), listMemoLimit)
	assert.LessOrEqual(t, len(lists.leaf), listMemoLimit)
}

// BenchmarkAccountList is what an entry naming the 50 people of a queue
// page costs for its list, when that page was read before.
func BenchmarkAccountList(b *testing.B) {
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		list, _ := accountList(ids)
		buf = appendAccountList(buf[:0], list)
	}
}
