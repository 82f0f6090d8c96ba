package scripts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/internal/simtesting"
	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/runtime"
)

// cloudCase is one run of a cloud example and the credentials the broker
// must see.
type cloudCase struct {
	name, vendor, script string
	params               map[string]string
	clientID, user, pass string
	topic                string
}

// cloudCases are the worked examples of reference/vendors.md section 9
// (and a Huawei client id of 9.1 whose secret is not given), plus cases
// checked against Go's own HMAC.
func cloudCases() []cloudCase {
	return []cloudCase{
		{
			name: "huawei client id", vendor: "ec20", script: "cloud/huawei-iotda.at",
			params:   map[string]string{"device_id": "D39564861q3gDa", "device_secret": "device-secret-1", "timestamp": "2018072417"},
			clientID: "D39564861q3gDa_0_0_2018072417", user: "D39564861q3gDa", pass: hmacHex("2018072417", "device-secret-1"),
			topic: "$oc/devices/D39564861q3gDa/sys/properties/report",
		},
		{
			name: "huawei test vector", vendor: "ec20", script: "cloud/huawei-iotda.at",
			params:   map[string]string{"device_id": "64000697352830580e48df07_dev1", "device_secret": "12345678", "timestamp": "2025041401", "sign_type": "1"},
			clientID: "64000697352830580e48df07_dev1_0_1_2025041401", user: "64000697352830580e48df07_dev1",
			pass:  "c75150e6cb841417396819e4d2ee4358a416344a03a083e3a8567074ddec820a",
			topic: "$oc/devices/64000697352830580e48df07_dev1/sys/properties/report",
		},
		{
			name: "aliyun hmacmd5 (Luat log)", vendor: "air780", script: "cloud/aliyun.at",
			params:   map[string]string{"product_key": "k1hipglLdjU", "device_name": "868488076506128", "device_secret": "fef32adf6dad46c2c7cbf335d3a7b021"},
			clientID: "868488076506128|securemode=3,signmethod=hmacmd5|", user: "868488076506128&k1hipglLdjU",
			pass:  "0f655b12adf519b9a7a2b0a990f398b6",
			topic: "/sys/k1hipglLdjU/868488076506128/thing/event/property/post",
		},
		{
			name: "aliyun hmacsha1 with timestamp", vendor: "air780", script: "cloud/aliyun.at",
			params: map[string]string{"product_key": "a1c8iNLOevX", "device_name": "little", "device_secret": "ef87008b74300d18c90dc4ca40c35d08",
				"device_client": "34EAE7244CEF", "sign_method": "hmacsha1", "timestamp": "789"},
			clientID: "34EAE7244CEF|securemode=3,signmethod=hmacsha1,timestamp=789|", user: "little&a1c8iNLOevX",
			pass:  "1e86943bd413ee21c8d6072c3b8e66dec1a49d7a",
			topic: "/sys/a1c8iNLOevX/little/thing/event/property/post",
		},
		{
			name: "aliyun hmacsha256", vendor: "air780", script: "cloud/aliyun.at",
			params: map[string]string{"product_key": "a1B2c3D4e5F", "device_name": "pump-7", "device_secret": "0123456789abcdef0123456789abcdef",
				"sign_method": "hmacsha256"},
			clientID: "pump-7|securemode=3,signmethod=hmacsha256|", user: "pump-7&a1B2c3D4e5F",
			pass:  hmacHex("0123456789abcdef0123456789abcdef", "clientIdpump-7deviceNamepump-7productKeya1B2c3D4e5F"),
			topic: "/sys/a1B2c3D4e5F/pump-7/thing/event/property/post",
		},
	}
}

func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// TestCloudCredentials runs each cloud example against a broker that
// records the CONNECT it got: client id, user name and password must be
// the worked examples', the message on the platform's topic.
func TestCloudCredentials(t *testing.T) {
	addr, rec := recordingBroker(t)
	for _, c := range cloudCases() {
		t.Run(c.name, func(t *testing.T) {
			r := runFlow(t, addr, flowRun{Vendor: c.vendor, Script: c.script, Params: c.params})
			require.NoError(t, r.Err)
			got := rec.connect(t, c.clientID)
			assert.Equal(t, c.user, got.user)
			assert.Equal(t, c.pass, got.pass)
			m := rec.message(t, c.clientID)
			assert.Equal(t, c.topic, m.Topic)
			assert.Contains(t, string(m.Payload), "temperature")
			assert.NotContains(t, r.Transcript, c.pass, "the password stays out of the transcript")
			assert.NotContains(t, r.Transcript, c.params["device_secret"], "so does the device secret")
		})
	}
}

// With no timestamp given, the Huawei example signs the current UTC hour.
func TestCloudHuaweiTimestampNow(t *testing.T) {
	addr, rec := recordingBroker(t)
	before := time.Now().UTC().Format("2006010215")
	r := runFlow(t, addr, flowRun{Vendor: "ec20", Script: "cloud/huawei-iotda.at",
		Params: map[string]string{"device_id": "dev-now", "device_secret": "s3cret-now"}})
	after := time.Now().UTC().Format("2006010215")
	require.NoError(t, r.Err)
	var got connectRecord
	for _, ts := range []string{before, after} {
		if g, ok := rec.find("dev-now_0_0_" + ts); ok {
			got = g
			assert.Equal(t, hmacHex(ts, "s3cret-now"), got.pass)
		}
	}
	require.NotEmpty(t, got.clientID, "a client id for %s or %s, got %v", before, after, rec.all())
	assert.Equal(t, "dev-now", got.user)
}

// TestCloudMosquittoAuth: mosquitto with a password file holding the
// worked examples' user names and passwords lets the examples in, and
// refuses a wrong device secret.
func TestCloudMosquittoAuth(t *testing.T) {
	huawei, aliyun := cloudCases()[1], cloudCases()[2]
	addr := authBroker(t, map[string]string{huawei.user: huawei.pass, aliyun.user: aliyun.pass, "checker": "checker-pw"})
	for _, c := range []cloudCase{huawei, aliyun} {
		t.Run(c.name, func(t *testing.T) {
			sub := subscribeAs(t, addr, c.topic, "checker", "checker-pw")
			r := runFlow(t, addr, flowRun{Vendor: c.vendor, Script: c.script, Params: c.params})
			require.NoError(t, r.Err)
			m := sub.wait(t, 1, 20*time.Second)[0]
			assert.Equal(t, c.topic, m.Topic)
			assert.Contains(t, string(m.Payload), "temperature")
		})
	}
	wrong := []struct {
		c       cloudCase
		wantErr string
	}{
		{huawei, "the broker refused the connection: not authorized (CONNACK return code 5)"},
		{aliyun, "the broker refused the MQTT connection (client id, user name or password?)"},
	}
	for _, w := range wrong {
		t.Run(w.c.name+" wrong secret", func(t *testing.T) {
			r := runFlow(t, addr, flowRun{Vendor: w.c.vendor, Script: w.c.script, Params: paramsWith(w.c.params, map[string]string{"device_secret": "not-the-secret"})})
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), w.wantErr)
			assert.Equal(t, runtime.KindFail, runtime.KindOf(r.Err))
		})
	}
}

// Aliyun's securemode=2 opens the link with TLS (no certificate checks,
// as the Luat guide's Aliyun example).
func TestCloudAliyunTLS(t *testing.T) {
	plain, oneWay, _ := tlsTestBroker(t, simtesting.NewPKI(t))
	c := cloudCases()[2]
	sub := subscribe(t, plain, c.topic, 1)
	r := runFlow(t, oneWay, flowRun{Vendor: c.vendor, Script: c.script, Params: paramsWith(c.params, map[string]string{"securemode": "2"})})
	require.NoError(t, r.Err)
	assert.Contains(t, string(sub.wait(t, 1, 20*time.Second)[0].Payload), "temperature")
	sent := r.sent()
	assert.Contains(t, sent, `AT+SSLCFG="seclevel",88,0`)
	assert.Contains(t, sent, fmt.Sprintf(`AT+SSLMIPSTART="127.0.0.1",%s`, portOf(oneWay)))
	assert.Contains(t, sent, `AT+MCONFIG="868488076506128|securemode=2,signmethod=hmacmd5|","868488076506128&k1hipglLdjU","***"`)
}

// Bad input fails before a byte is sent.
func TestCloudChecks(t *testing.T) {
	huawei, aliyun := cloudCases()[0], cloudCases()[2]
	cases := []struct {
		c       cloudCase
		params  map[string]string
		wantErr string
	}{
		{huawei, map[string]string{"sign_type": "2"}, "sign_type must be 0 or 1, got 2"},
		{huawei, map[string]string{"timestamp": "2018-07-24"}, "timestamp must be UTC YYYYMMDDHH (10 digits), got 2018-07-24"},
		{huawei, map[string]string{"qos": "2"}, "IoTDA takes QoS 0 and 1, got 2"},
		{aliyun, map[string]string{"sign_method": "hmacsha512"}, "sign_method must be hmacmd5, hmacsha1 or hmacsha256, got hmacsha512"},
		{aliyun, map[string]string{"securemode": "1"}, "securemode must be 2 (TLS) or 3 (TCP), got 1"},
		{aliyun, map[string]string{"keepalive": "20"}, "the platform takes a keepalive of 30-1200 s, got 20"},
		{aliyun, map[string]string{"device_client": "a,b"}, "device_client must have 1-64 characters and no | or ,"},
	}
	for _, c := range cases {
		t.Run(c.wantErr, func(t *testing.T) {
			r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: c.c.vendor, Script: c.c.script, Params: paramsWith(c.c.params, c.params)})
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), c.wantErr)
			assert.Empty(t, r.sent())
		})
	}
}

// connectRecord is one CONNECT a recording broker accepted.
type connectRecord struct{ clientID, user, pass string }

// recorder is a mochi hook that accepts every client and records each
// CONNECT and PUBLISH: mosquitto cannot show what credentials it got.
type recorder struct {
	mqtt.HookBase
	mu       sync.Mutex
	connects []connectRecord
	msgs     map[string][]received // by client id
	changed  chan struct{}         // closed and replaced on every record
}

func (h *recorder) ID() string { return "atrun-cloud-recorder" }

func (h *recorder) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnPublished
}

func (h *recorder) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.connects = append(h.connects, connectRecord{cl.ID, string(pk.Connect.Username), string(pk.Connect.Password)})
	h.signal()
	return true
}

func (h *recorder) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

func (h *recorder) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs[cl.ID] = append(h.msgs[cl.ID], received{Topic: pk.TopicName, Payload: append([]byte(nil), pk.Payload...), QoS: pk.FixedHeader.Qos})
	h.signal()
}

// signal wakes waiters; the caller holds mu.
func (h *recorder) signal() {
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *recorder) find(clientID string) (connectRecord, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.connects {
		if c.clientID == clientID {
			return c, true
		}
	}
	return connectRecord{}, false
}

func (h *recorder) all() []connectRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]connectRecord(nil), h.connects...)
}

// connect returns the CONNECT of clientID.
func (h *recorder) connect(t *testing.T, clientID string) connectRecord {
	t.Helper()
	c, ok := h.find(clientID)
	require.True(t, ok, "no CONNECT with client id %q; got %v", clientID, h.all())
	return c
}

// message waits for the first message clientID published.
func (h *recorder) message(t *testing.T, clientID string) received {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		msgs, ch := h.msgs[clientID], h.changed
		h.mu.Unlock()
		if len(msgs) > 0 {
			return msgs[0]
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no message from client %q", clientID)
		}
	}
}

func recordingBroker(t *testing.T) (string, *recorder) {
	t.Helper()
	srv := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := &recorder{msgs: map[string][]received{}, changed: make(chan struct{})}
	require.NoError(t, srv.AddHook(h, nil))
	l := listeners.NewTCP(listeners.Config{ID: "tcp", Address: "127.0.0.1:0"})
	require.NoError(t, srv.AddListener(l))
	require.NoError(t, srv.Serve())
	t.Cleanup(func() { srv.Close() })
	return l.Address(), h
}

// authBroker runs mosquitto with anonymous access off and a password file
// made by mosquitto_passwd (installed with mosquitto).
func authBroker(t *testing.T, users map[string]string) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		bin = "/usr/bin/mosquitto_passwd"
	}
	// Readable by all: mosquitto started as root drops to its own user.
	dir, err := os.MkdirTemp("", "atrun-scripts-passwd-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	file := filepath.Join(dir, "passwd")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for user, pass := range users {
		out, err := exec.Command(bin, "-b", file, user, pass).CombinedOutput()
		require.NoError(t, err, "mosquitto_passwd (run `make deps`): %s", out)
	}
	require.NoError(t, os.Chmod(file, 0o644))
	return testbroker.Start(t, testbroker.Config("allow_anonymous false", "password_file "+file))
}

// subscribeAs is the harness's independent subscriber, logged in.
func subscribeAs(t *testing.T, brokerAddr, topic, user, pass string) *subscriber {
	t.Helper()
	s := &subscriber{got: make(chan struct{}, 1000)}
	opts := paho.NewClientOptions().AddBroker("tcp://" + brokerAddr).SetClientID(fmt.Sprintf("check-%d", time.Now().UnixNano())).
		SetUsername(user).SetPassword(pass)
	s.cl = paho.NewClient(opts)
	tok := s.cl.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	tok = s.cl.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		s.mu.Lock()
		s.msgs = append(s.msgs, received{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), QoS: m.Qos(), Retain: m.Retained()})
		s.mu.Unlock()
		s.got <- struct{}{}
	})
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	t.Cleanup(func() { s.cl.Disconnect(100) })
	return s
}
