package broker

import (
	"strings"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// PublishOnSubscribe has the broker publish topic and payload once, to the
// first client that subscribes to a filter matching topic, the moment its
// SUBACK has gone out: a flow that subscribes and waits gets a message
// without a second client racing its subscription. Several calls queue
// messages; each is delivered once, in the order given. The message is
// recorded like Publish's, with Inline set.
func (b *Broker) PublishOnSubscribe(topic string, payload []byte, qos byte) {
	b.inject.mu.Lock()
	defer b.inject.mu.Unlock()
	b.inject.pending = append(b.inject.pending, &injected{topic: topic, payload: payload, qos: qos})
}

// Injected returns what PublishOnSubscribe queued and whether each has
// been published.
func (b *Broker) Injected() (msgs []Message, published []bool) {
	b.inject.mu.Lock()
	defer b.inject.mu.Unlock()
	for _, m := range b.inject.pending {
		msgs = append(msgs, Message{ClientID: "inline", Topic: m.topic, Payload: m.payload, QoS: m.qos, Inline: true})
		published = append(published, m.sent)
	}
	return msgs, published
}

type injected struct {
	topic   string
	payload []byte
	qos     byte
	// claim is the client and SUBSCRIBE packet id that will get it; only
	// set once. sent: published.
	claimClient string
	claimID     uint16
	claimed     bool
	sent        bool
}

type injector struct {
	mu      sync.Mutex
	pending []*injected
}

// injectHook claims queued messages for a subscription (OnSubscribed comes
// before the SUBACK is written) and publishes them once the SUBACK has
// been written (OnPacketSent), so the client sees SUBACK first.
type injectHook struct {
	mqtt.HookBase
	b *Broker
}

func (h *injectHook) ID() string { return "atrun-inject" }

func (h *injectHook) Provides(b byte) bool {
	return b == mqtt.OnSubscribed || b == mqtt.OnPacketSent
}

func (h *injectHook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, reasonCodes []byte) {
	if cl.Net.Inline {
		return
	}
	in := &h.b.inject
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range in.pending {
		if m.claimed {
			continue
		}
		for i, f := range pk.Filters {
			if i < len(reasonCodes) && reasonCodes[i] < 0x80 && MatchFilter(f.Filter, m.topic) {
				m.claimed, m.claimClient, m.claimID = true, cl.ID, pk.PacketID
				break
			}
		}
	}
}

func (h *injectHook) OnPacketSent(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	if pk.FixedHeader.Type != packets.Suback {
		return
	}
	in := &h.b.inject
	in.mu.Lock()
	var due []*injected
	for _, m := range in.pending {
		if m.claimed && !m.sent && m.claimClient == cl.ID && m.claimID == pk.PacketID {
			m.sent = true
			due = append(due, m)
		}
	}
	in.mu.Unlock()
	if len(due) == 0 {
		return
	}
	// Not from inside the hook: the publish writes to this same client.
	go func() {
		for _, m := range due {
			h.b.srv.Publish(m.topic, m.payload, false, m.qos)
		}
	}()
}

// MatchFilter reports whether an MQTT topic filter (with + and #) matches
// a topic name. Topics starting with $ match only filters that name the $
// level.
func MatchFilter(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && !strings.HasPrefix(filter, "$") {
		return false
	}
	fs, ts := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fs {
		if f == "#" {
			return true
		}
		if i >= len(ts) {
			return false
		}
		if f != "+" && f != ts[i] {
			return false
		}
	}
	return len(fs) == len(ts)
}
