package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// distrolessNonroot is the uid and gid of the nonroot user of the
// distroless base image.
const distrolessNonroot = "65532"

func TestDockerfile_DataDirIsOwnedByItsNonRootUser(t *testing.T) {
	raw, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	stages := regexp.MustCompile(`(?m)^FROM `).Split(string(raw), -1)
	require.Len(t, stages, 3, "a build stage and the runtime stage")
	build, runtime := stages[1], stages[2]
	m := regexp.MustCompile(`RUN mkdir -p (\S+)`).FindStringSubmatch(build)
	require.NotNil(t, m, "the build stage makes the data dir (distroless has no shell)")
	src := m[1]
	cp := regexp.MustCompile(`(?m)^COPY --from=build --chown=(\d+):(\d+) (\S+) /data$`).FindStringSubmatch(runtime)
	require.NotNil(t, cp, "the runtime stage copies the data dir with an owner")
	assert.Equal(t, []string{distrolessNonroot, distrolessNonroot, src}, cp[1:])
	assert.Regexp(t, `(?m)^USER nonroot:nonroot$`, runtime)
	iCopy, iVolume := strings.Index(runtime, cp[0]), strings.Index(runtime, `VOLUME ["/data"]`)
	require.Positive(t, iVolume)
	assert.Less(t, iCopy, iVolume, "the volume is declared after the directory exists, so it inherits its owner")
	assert.Contains(t, runtime, "KABINET_DATA_DIR=/data")
}

type composeFile struct {
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet  string `yaml:"subnet"`
				IPRange string `yaml:"ip_range"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
	Services map[string]struct {
		Networks    any               `yaml:"networks"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
	} `yaml:"services"`
}

func loadCompose(t *testing.T) composeFile {
	raw, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	var c composeFile
	require.NoError(t, yaml.Unmarshal(raw, &c))
	return c
}

// TestCompose_KurrentDBNodesHaveStaticIPsAndGossipByIP checks the cluster
// the way KurrentDB's documentation builds one: each node a fixed address
// in the network's subnet, outside the range others are given, replicating
// on that address and seeded with the others'; Kabinet connects by them.
func TestCompose_KurrentDBNodesHaveStaticIPsAndGossipByIP(t *testing.T) {
	c := loadCompose(t)
	net, ok := c.Networks["kabinet"]
	require.True(t, ok)
	require.Len(t, net.IPAM.Config, 1)
	subnet := netip.MustParsePrefix(net.IPAM.Config[0].Subnet)
	dynamic := netip.MustParsePrefix(net.IPAM.Config[0].IPRange)
	ips := map[string]string{}
	for _, n := range []string{"kurrentdb1", "kurrentdb2", "kurrentdb3"} {
		nets, ok := c.Services[n].Networks.(map[string]any)
		require.True(t, ok, "%s: networks with a fixed address", n)
		addr := nets["kabinet"].(map[string]any)["ipv4_address"].(string)
		ip := netip.MustParseAddr(addr)
		assert.True(t, subnet.Contains(ip), "%s in the subnet", n)
		assert.False(t, dynamic.Contains(ip), "%s outside the dynamic range", n)
		assert.Equal(t, addr, c.Services[n].Environment["KURRENTDB_REPLICATION_IP"], n)
		ips[n] = addr
	}
	for n, own := range ips {
		seeds := strings.Split(c.Services[n].Environment["KURRENTDB_GOSSIP_SEED"], ",")
		var want []string
		for m, other := range ips {
			if m != n {
				want = append(want, other+":2113")
			}
		}
		assert.ElementsMatch(t, want, seeds, "%s seeds with the other nodes' addresses", n)
		assert.NotContains(t, seeds, own+":2113")
		assert.Equal(t, "false", c.Services[n].Environment["KURRENTDB_DISCOVER_VIA_DNS"])
	}
	for _, s := range []string{"api1", "api2", "worker"} {
		es := c.Services[s].Environment["KABINET_EVENTSTORE"]
		for _, ip := range ips {
			assert.Contains(t, es, ip+":2113", "%s connects to the nodes by address", s)
		}
	}
}

func TestCompose_OnlyTheWorkerHasTheJournalSigningKey(t *testing.T) {
	c := loadCompose(t)
	assert.NotEmpty(t, c.Services["worker"].Environment["KABINET_JOURNAL_KEY"])
	for _, s := range []string{"api1", "api2"} {
		_, has := c.Services[s].Environment["KABINET_JOURNAL_KEY"]
		assert.False(t, has, "%s never signs", s)
		assert.NotEmpty(t, c.Services[s].Environment["KABINET_JOURNAL_VERIFIER_KEY"], "%s verifies", s)
		assert.Equal(t, "production", c.Services[s].Environment["KABINET_ENV"])
	}
	for _, s := range []string{"api1", "api2", "worker"} {
		require.Len(t, c.Services[s].Volumes, 1, s)
		assert.True(t, strings.HasSuffix(c.Services[s].Volumes[0], ":/data"), "%s keeps /data in a volume", s)
	}
}

// k8sDocs decodes every document of deploy/k8s.
func k8sDocs(t *testing.T) []map[string]any {
	files, err := filepath.Glob("k8s/*.yaml")
	require.NoError(t, err)
	var docs []map[string]any
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else {
				require.NoError(t, err, f)
			}
			docs = append(docs, doc)
		}
	}
	return docs
}

func get(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}

func byKind(docs []map[string]any, kind string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, d := range docs {
		if d["kind"] == kind {
			out[get(d, "metadata", "name").(string)] = d
		}
	}
	return out
}

// secretKeys lists the Secret keys a Deployment's containers read.
func secretKeys(dep map[string]any) []string {
	var keys []string
	for _, c := range get(dep, "spec", "template", "spec", "containers").([]any) {
		for _, e := range get(c, "env").([]any) {
			if k, ok := get(e, "valueFrom", "secretKeyRef", "key").(string); ok {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

func TestKubernetes_WorkerKeepsItsDataOnAPersistentVolumeClaim(t *testing.T) {
	docs := k8sDocs(t)
	worker := byKind(docs, "Deployment")["kabinet-worker"]
	require.NotNil(t, worker)
	var claim string
	for _, v := range get(worker, "spec", "template", "spec", "volumes").([]any) {
		if get(v, "name") == "data" {
			assert.Nil(t, get(v, "emptyDir"), "not an emptyDir")
			claim, _ = get(v, "persistentVolumeClaim", "claimName").(string)
		}
	}
	require.NotEmpty(t, claim, "the data volume is a claim")
	pvc := byKind(docs, "PersistentVolumeClaim")[claim]
	require.NotNil(t, pvc, "the claim %s is defined", claim)
	assert.Contains(t, get(pvc, "spec", "accessModes"), "ReadWriteMany", "both worker replicas mount it")
	assert.NotEmpty(t, get(pvc, "spec", "resources", "requests", "storage"))

	// The API's scans are in PostgreSQL: its read store is a PostgreSQL DSN
	// and nothing asks for the file scan store.
	secret := byKind(docs, "Secret")["kabinet"]
	assert.True(t, strings.HasPrefix(get(secret, "stringData", "readstore").(string), "postgres://"))
	cm := byKind(docs, "ConfigMap")["kabinet"]
	assert.NotEqual(t, "file", get(cm, "data", "KABINET_SCAN_STORE"))
	assert.Equal(t, "production", get(cm, "data", "KABINET_ENV"))
}

func TestKubernetes_PodDisruptionBudgetsCoverAPIAndWorker(t *testing.T) {
	docs := k8sDocs(t)
	deps := byKind(docs, "Deployment")
	covered := map[string]bool{}
	for name, pdb := range byKind(docs, "PodDisruptionBudget") {
		assert.Equal(t, "policy/v1", pdb["apiVersion"], name)
		sel := get(pdb, "spec", "selector", "matchLabels").(map[string]any)
		minAvail, maxUnavail := get(pdb, "spec", "minAvailable"), get(pdb, "spec", "maxUnavailable")
		assert.True(t, (minAvail != nil) != (maxUnavail != nil), "%s: exactly one of minAvailable and maxUnavailable", name)
		for dname, d := range deps {
			labels := get(d, "spec", "template", "metadata", "labels").(map[string]any)
			match := true
			for k, v := range sel {
				match = match && labels[k] == v
			}
			if match {
				covered[dname] = true
				replicas := get(d, "spec", "replicas").(int)
				if minAvail != nil {
					assert.Less(t, minAvail.(int), replicas, "%s still lets one pod of %s be drained", name, dname)
				}
			}
		}
	}
	assert.True(t, covered["kabinet-api"], "the API has a budget")
	assert.True(t, covered["kabinet-worker"], "the worker has a budget")
}

func TestKubernetes_OnlyTheWorkerGetsTheJournalSigningKey(t *testing.T) {
	docs := k8sDocs(t)
	deps := byKind(docs, "Deployment")
	assert.Contains(t, secretKeys(deps["kabinet-worker"]), "journal-key")
	assert.NotContains(t, secretKeys(deps["kabinet-api"]), "journal-key", "the API never signs")
	cm := byKind(docs, "ConfigMap")["kabinet"]
	assert.NotEmpty(t, get(cm, "data", "KABINET_JOURNAL_VERIFIER_KEY"), "the API verifies with the public key")
	for _, k := range get(cm, "data").(map[string]any) {
		assert.NotContains(t, k, "PRIVATE+KEY", "no signing key in the ConfigMap")
	}
}
