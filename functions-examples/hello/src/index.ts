interface Env {
  GREETING: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get('name') ?? 'world';
    console.log(`greeting ${name}`);
    return Response.json({ message: `${env.GREETING}, ${name}!`, method: request.method, path: url.pathname });
  },
};
