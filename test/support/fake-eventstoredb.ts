/**
 * TEST DOUBLE — NOT EventStoreDB. An in-process gRPC server that speaks just enough of the
 * EventStoreDB protocol for the ledger's adapter, built on the client package's own generated
 * service definitions, so the real `@eventstore/db-client` talks to it over insecure localhost.
 * No real server can run here (no Docker engine, no package); run the same tests against a real
 * node with `npm run test:eventstoredb` (see the README).
 *
 * What it does, and only that: Streams.Append (expected revision, no_stream, any, stream_exists;
 * idempotent repeats by event id answered with "no position" like the server), Streams.Read for a
 * stream (forwards/backwards) and for `$all` (forwards/backwards, exclusive positions), and
 * catch-up subscriptions to `$all` (confirmation, history, caughtUp, live events). Positions are
 * commit = prepare, increasing and not contiguous, as for gRPC-written events on a real server.
 * No filters, no links, no deletes, no metadata streams, no BatchAppend (ServerFeatures is not
 * served, so the client uses Streams.Append), no cluster, no durability. The log outlives
 * `stop()`/`start()`, so a test can drop the server under a live subscription and bring it back.
 */
import { EventEmitter } from 'node:events';
import { dirname } from 'node:path';

const clientRoot = dirname(require.resolve('@eventstore/db-client/package.json'));
const load = (module: string) => require(require.resolve(module, { paths: [clientRoot] }));
const grpc = load('@grpc/grpc-js');
const streamsGrpc = require('@eventstore/db-client/generated/streams_grpc_pb');
const streamsPb = require('@eventstore/db-client/generated/streams_pb');
const sharedPb = require('@eventstore/db-client/generated/shared_pb');

interface FakeEvent {
  streamId: string;
  revision: bigint;
  position: bigint;
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  createdTicks: bigint;
}

/** The fake's log: kept apart from the server so that it survives a restart. */
export class FakeLog {
  readonly events: FakeEvent[] = [];
  readonly streams = new Map<string, FakeEvent[]>();
  readonly appended = new EventEmitter().setMaxListeners(0);
  private nextPosition = 1000n;

  append(streamId: string, proposed: Array<Omit<FakeEvent, 'streamId' | 'revision' | 'position' | 'createdTicks'>>): FakeEvent[] {
    const stream = this.streams.get(streamId) ?? [];
    this.streams.set(streamId, stream);
    const created = BigInt(Date.now()) * 10_000n;
    const written = proposed.map((event) => {
      const stored: FakeEvent = { ...event, streamId, revision: BigInt(stream.length), position: this.nextPosition, createdTicks: created };
      this.nextPosition += 97n + BigInt(event.data.length);
      stream.push(stored);
      this.events.push(stored);
      return stored;
    });
    this.appended.emit('appended', written);
    return written;
  }
}

const uuidString = (uuid: any): string => (uuid?.hasString?.() ? uuid.getString() : '');

function recordedEvent(event: FakeEvent) {
  const recorded = new streamsPb.ReadResp.ReadEvent.RecordedEvent();
  const id = new sharedPb.UUID();
  id.setString(event.id);
  recorded.setId(id);
  const identifier = new sharedPb.StreamIdentifier();
  identifier.setStreamName(Buffer.from(event.streamId, 'utf8'));
  recorded.setStreamIdentifier(identifier);
  recorded.setStreamRevision(event.revision.toString());
  recorded.setPreparePosition(event.position.toString());
  recorded.setCommitPosition(event.position.toString());
  recorded.getMetadataMap().set('type', event.type);
  recorded.getMetadataMap().set('content-type', event.contentType);
  recorded.getMetadataMap().set('created', event.createdTicks.toString());
  recorded.setData(event.data);
  recorded.setCustomMetadata(event.metadata);
  const read = new streamsPb.ReadResp.ReadEvent();
  read.setEvent(recorded);
  read.setCommitPosition(event.position.toString());
  const response = new streamsPb.ReadResp();
  response.setEvent(read);
  return response;
}

export class FakeEventStoreDb {
  private server: any;
  private port = 0;
  private readonly calls = new Set<any>();

  constructor(readonly log = new FakeLog()) {}

  get connectionString(): string {
    return `esdb://127.0.0.1:${this.port}?tls=false`;
  }

  /** Starts serving (again), on the same port as before when there was one. */
  async start(): Promise<void> {
    this.server = new grpc.Server();
    this.server.addService(streamsGrpc.StreamsService, {
      append: (call: any, callback: any) => this.handleAppend(call, callback),
      read: (call: any) => this.handleRead(call),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${this.port}`, grpc.ServerCredentials.createInsecure(), (error: Error | null, port: number) =>
        error ? reject(error) : resolve(port),
      ),
    );
  }

  /** Drops the server at once, open subscriptions included (as a crash or a network cut would). */
  async stop(): Promise<void> {
    for (const call of this.calls) call.destroy?.(new Error('server stopped'));
    this.calls.clear();
    this.server?.forceShutdown();
    this.server = undefined;
  }

  private handleAppend(call: any, callback: any) {
    let options: any;
    const proposed: Array<Omit<FakeEvent, 'streamId' | 'revision' | 'position' | 'createdTicks'>> = [];
    call.on('data', (request: any) => {
      if (request.hasOptions()) options = request.getOptions();
      else if (request.hasProposedMessage()) {
        const message = request.getProposedMessage();
        proposed.push({
          id: uuidString(message.getId()),
          type: message.getMetadataMap().get('type'),
          contentType: message.getMetadataMap().get('content-type'),
          data: message.getData_asU8(),
          metadata: message.getCustomMetadata_asU8(),
        });
      }
    });
    call.on('end', () => {
      const streamId = Buffer.from(options.getStreamIdentifier().getStreamName_asU8()).toString('utf8');
      const stream = this.log.streams.get(streamId) ?? [];
      const current = BigInt(stream.length) - 1n;
      const response = new streamsPb.AppendResp();
      const success = new streamsPb.AppendResp.Success();

      // Idempotent repeat: the same event ids already written at the expected place (anywhere for `any`).
      const start = stream.findIndex((event) => event.id === proposed[0]?.id);
      const expectedNext = options.hasRevision() ? BigInt(options.getRevision()) + 1n : options.hasNoStream() ? 0n : undefined;
      if (
        start >= 0 &&
        proposed.every((event, i) => stream[start + i]?.id === event.id) &&
        (expectedNext === undefined || BigInt(start) === expectedNext)
      ) {
        success.setCurrentRevision(String(start + proposed.length - 1));
        success.setNoPosition(new sharedPb.Empty());
        response.setSuccess(success);
        return callback(null, response);
      }

      const matches = options.hasAny()
        ? true
        : options.hasNoStream()
          ? current === -1n
          : options.hasStreamExists()
            ? current >= 0n
            : BigInt(options.getRevision()) === current;
      if (!matches) {
        const wrong = new streamsPb.AppendResp.WrongExpectedVersion();
        if (current >= 0n) wrong.setCurrentRevision(current.toString());
        else wrong.setCurrentNoStream(new sharedPb.Empty());
        if (options.hasRevision()) wrong.setExpectedRevision(options.getRevision());
        else if (options.hasNoStream()) wrong.setExpectedNoStream(new sharedPb.Empty());
        else if (options.hasStreamExists()) wrong.setExpectedStreamExists(new sharedPb.Empty());
        else wrong.setExpectedAny(new sharedPb.Empty());
        response.setWrongExpectedVersion(wrong);
        return callback(null, response);
      }
      const written = this.log.append(streamId, proposed);
      const last = written[written.length - 1];
      success.setCurrentRevision(last.revision.toString());
      const position = new streamsPb.AppendResp.Position();
      position.setCommitPosition(last.position.toString());
      position.setPreparePosition(last.position.toString());
      success.setPosition(position);
      response.setSuccess(success);
      callback(null, response);
    });
  }

  private handleRead(call: any) {
    const options = call.request.getOptions();
    const backwards = options.getReadDirection() === 1;
    const count = options.hasCount() ? Number(BigInt(options.getCount()) > 1_000_000n ? 1_000_000n : BigInt(options.getCount())) : 1_000_000;
    if (options.hasSubscription()) return this.subscribeToAll(call, options);
    let events: FakeEvent[];
    if (options.hasStream()) {
      const streamOptions = options.getStream();
      const streamId = Buffer.from(streamOptions.getStreamIdentifier().getStreamName_asU8()).toString('utf8');
      const stream = this.log.streams.get(streamId);
      if (!stream) {
        const notFound = new streamsPb.ReadResp.StreamNotFound();
        notFound.setStreamIdentifier(streamOptions.getStreamIdentifier());
        const response = new streamsPb.ReadResp();
        response.setStreamNotFound(notFound);
        call.write(response);
        return call.end();
      }
      const from = streamOptions.hasRevision() ? BigInt(streamOptions.getRevision()) : undefined;
      if (backwards) {
        const upTo = streamOptions.hasEnd() || from === undefined ? BigInt(stream.length - 1) : from;
        events = stream.filter((event) => event.revision <= upTo).reverse();
      } else {
        const fromRevision = streamOptions.hasStart() || from === undefined ? 0n : from;
        events = stream.filter((event) => event.revision >= fromRevision);
      }
    } else {
      const allOptions = options.getAll();
      const position = allOptions.hasPosition() ? BigInt(allOptions.getPosition().getCommitPosition()) : undefined;
      if (backwards) {
        events = this.log.events.filter((event) => allOptions.hasEnd() || position === undefined || event.position < position).reverse();
      } else {
        events = this.log.events.filter((event) => allOptions.hasStart() || position === undefined || event.position > position);
      }
    }
    for (const event of events.slice(0, count)) call.write(recordedEvent(event));
    call.end();
  }

  private subscribeToAll(call: any, options: any) {
    this.calls.add(call);
    const allOptions = options.getAll();
    let position = allOptions.hasPosition() ? BigInt(allOptions.getPosition().getCommitPosition()) : -1n;
    if (allOptions.hasEnd()) position = this.log.events.at(-1)?.position ?? -1n;
    const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(`fake-${Math.random().toString(36).slice(2)}`);
    const confirmed = new streamsPb.ReadResp();
    confirmed.setConfirmation(confirmation);
    call.write(confirmed);
    const send = (events: FakeEvent[]) => {
      for (const event of events) {
        if (event.position <= position) continue;
        call.write(recordedEvent(event));
        position = event.position;
      }
    };
    send(this.log.events);
    const caughtUp = new streamsPb.ReadResp();
    caughtUp.setCaughtUp(new streamsPb.ReadResp.CaughtUp());
    call.write(caughtUp);
    this.log.appended.on('appended', send);
    const end = () => {
      this.log.appended.off('appended', send);
      this.calls.delete(call);
    };
    call.on('cancelled', end);
    call.on('close', end);
    call.on('error', end);
  }
}
