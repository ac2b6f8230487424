/**
 * A real nats-server with JetStream for integration tests (Debian's nats-server, installed by
 * scripts/test.sh): started on a free port with its own store folder, restartable on the same
 * port and store (an outage), and its stream read back message by message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../../src/dev/dev-server';
import { NatsTransport } from '../../src/events/nats';

/** A nats-server process. */
export class NatsServer {
  private child: ChildProcess | undefined;
  readonly storeDir = mkdtempSync(join(tmpdir(), 'cascadence-nats-'));

  private constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<NatsServer> {
    const server = new NatsServer(await freePort());
    await server.resume();
    return server;
  }

  /** Starts the process (again) and waits until it answers. */
  async resume(): Promise<void> {
    this.child = spawn('nats-server', ['-js', '-sd', this.storeDir, '-a', '127.0.0.1', '-p', String(this.port)], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      try {
        await (await connect({ servers: this.url, timeout: 500 })).close();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`nats-server did not answer on ${this.url}`);
  }

  /** A started NATS transport to this server under `subject`, with its outbox in a fresh folder and quiet warnings. */
  transport(subject: string): NatsTransport {
    return new NatsTransport({
      servers: this.url,
      subject,
      outboxDir: mkdtempSync(join(tmpdir(), 'cascadence-outbox-')),
      warn: () => undefined,
    }).start();
  }

  /** Stops the process (the store folder stays). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  /** Every message of `stream` (its subject and its JSON), in stream order. */
  async messages(stream: string): Promise<Array<{ subject: string; event: Record<string, unknown> }>> {
    const nc = await connect({ servers: this.url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(stream);
      const out: Array<{ subject: string; event: Record<string, unknown> }> = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq });
        if (m) out.push({ subject: m.subject, event: m.json<Record<string, unknown>>() });
      }
      return out;
    } finally {
      await nc.close();
    }
  }
}
