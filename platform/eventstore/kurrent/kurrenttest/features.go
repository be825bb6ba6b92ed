package kurrenttest

import (
	"context"
	"net"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/google/uuid"
)

// ServerVersion is the KurrentDB version the double claims to be. From
// 22.6 on, stream reads carry positions, which the adapter relies on.
const ServerVersion = "24.10.0"

// featuresServer answers the client's GetSupportedMethods on connect. The
// client enables persistent subscriptions to $all only when "create" lists
// the "all" feature.
type featuresServer struct {
	serverfeatures.UnimplementedServerFeaturesServer
}

func (featuresServer) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	const st = "event_store.client.streams.streams"
	const ps = "event_store.client.persistent_subscriptions.persistentsubscriptions"
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: ServerVersion,
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: st, MethodName: "read"},
			{ServiceName: st, MethodName: "append"},
			{ServiceName: ps, MethodName: "create", Features: []string{"stream", "all"}},
			{ServiceName: ps, MethodName: "delete", Features: []string{"stream", "all"}},
			{ServiceName: ps, MethodName: "read", Features: []string{"stream", "all"}},
		},
	}, nil
}

// gossipServer describes a one-node cluster whose leader is the double, so
// that discovery (esdb+discover:// or gossip seeds) lands on it.
type gossipServer struct {
	gossip.UnimplementedGossipServer
	addr     *net.TCPAddr
	id       uuid.UUID
	follower bool
}

func (g *gossipServer) state() gossip.MemberInfo_VNodeState {
	if g.follower {
		return gossip.MemberInfo_Follower
	}
	return gossip.MemberInfo_Leader
}

func (g *gossipServer) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	return &gossip.ClusterInfo{Members: []*gossip.MemberInfo{{
		InstanceId:   protoUUID(g.id, false),
		TimeStamp:    ticks(time.Now()),
		State:        g.state(),
		IsAlive:      true,
		HttpEndPoint: &gossip.EndPoint{Address: g.addr.IP.String(), Port: uint32(g.addr.Port)},
	}}}, nil
}
