// Starter code for a new function made from the console: the smallest useful function per
// trigger, deployed as version 1 and then edited in the Deploy tab.

export type TemplateId = 'http' | 'cron' | 'queue' | 'rpc';

export interface StarterTemplate {
  id: TemplateId;
  label: string;
  description: string;
}

export const starterTemplates: StarterTemplate[] = [
  { id: 'http', label: 'HTTP API', description: 'A fetch handler at /fn/<name>/ answering JSON.' },
  { id: 'cron', label: 'Cron job', description: 'A scheduled handler that runs every 15 minutes.' },
  { id: 'queue', label: 'Queue consumer', description: 'Receives published messages in batches, with retries.' },
  { id: 'rpc', label: 'RPC service', description: 'Methods other functions call through a service binding.' },
];

export interface StarterOptions {
  name: string;
  template: TemplateId;
  /** The topic a queue consumer reads. */
  topic: string;
}

const http = `export default {
  async fetch(request: Request, env: Record<string, string>): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get('name') ?? 'world';
    console.log('hello', name);
    return Response.json({ message: \`\${env.GREETING}, \${name}!\` });
  },
};
`;

const cron = `export default {
  async scheduled(controller: { cron: string; scheduledTime: number }): Promise<void> {
    console.log('tick', controller.cron, new Date(controller.scheduledTime).toISOString());
  },
};
`;

const queue = `interface Message {
  id: string;
  body: unknown;
  attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export default {
  async queue(batch: { queue: string; messages: Message[] }): Promise<void> {
    for (const message of batch.messages) {
      console.log('message', message.id, JSON.stringify(message.body));
      message.ack();
    }
  },
};
`;

const rpc = `export default {
  // Reachable at POST /api/v1/functions/<name>/rpc/add with [1, 2], over gRPC,
  // and from other functions through a service binding: env.MATH.add(1, 2).
  async add(a: number, b: number): Promise<number> {
    return a + b;
  },

  async fetch(): Promise<Response> {
    return new Response('This function answers over RPC: try its add method.');
  },
};
`;

/** The deploy body (`POST /api/v1/functions`) of a starter function. */
export function starterDeployment(options: StarterOptions): { manifest: Record<string, unknown>; files: Record<string, string> } {
  const base = { name: options.name, main: 'src/index.ts' };
  switch (options.template) {
    case 'http':
      return { manifest: { ...base, vars: { GREETING: 'Hello' } }, files: { 'src/index.ts': http } };
    case 'cron':
      return { manifest: { ...base, crons: ['*/15 * * * *'] }, files: { 'src/index.ts': cron } };
    case 'queue':
      return {
        manifest: { ...base, queues: [{ topic: options.topic, batchSize: 10, maxRetries: 3, deadLetter: `${options.topic}-dlq` }] },
        files: { 'src/index.ts': queue },
      };
    case 'rpc':
      return { manifest: base, files: { 'src/index.ts': rpc } };
  }
}
