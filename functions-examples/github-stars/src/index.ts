// GET /repos/{owner}/{name}  (or /?repo={owner}/{name})
//   200 {"repo", "description", "stars", "forks", "openIssues", "url"}
//   400 not an owner/name; 404 no such repository; 429 GitHub's rate limit;
//   502 GitHub could not be reached (or is not in egress); 504 it took too long
import type { ExportedHandler } from '@isola/types';

interface Env {
  GITHUB_API: string;
  GITHUB_TOKEN?: string; // a secret; absent until set
}

/** The fields we use of GitHub's "get a repository" answer. */
interface GitHubRepository {
  full_name: string;
  description: string | null;
  stargazers_count: number;
  forks_count: number;
  open_issues_count: number;
  html_url: string;
}

const upstreamTimeoutMs = 5000;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const repo = url.searchParams.get('repo') ?? /\/repos\/([^/]+\/[^/]+)$/.exec(url.pathname)?.[1] ?? '';
    if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) return problem(400, 'BAD_REQUEST', 'name a repository: GET /repos/{owner}/{name} or ?repo={owner}/{name}');

    let upstream: Response;
    try {
      upstream = await fetch(`${env.GITHUB_API}/repos/${repo}`, {
        headers: {
          accept: 'application/vnd.github+json',
          'user-agent': 'isola-example-github-stars', // GitHub refuses requests without one
          'x-github-api-version': '2022-11-28',
          ...(env.GITHUB_TOKEN ? { authorization: `Bearer ${env.GITHUB_TOKEN}` } : {}),
        },
        // Do not wait for a slow upstream until the function's own timeoutMs ends it.
        signal: AbortSignal.timeout(upstreamTimeoutMs),
      });
    } catch (error) {
      const { name, message } = error as Error;
      if (name === 'TimeoutError') return problem(504, 'UPSTREAM_TIMEOUT', `GitHub did not answer within ${upstreamTimeoutMs} ms`);
      // A TypeError: the host is not in egress (the message names the entry to add), DNS, refused connection...
      console.error(`fetch to ${env.GITHUB_API} failed: ${message}`);
      return problem(502, 'UPSTREAM_UNREACHABLE', message);
    }

    if (upstream.status === 404) return problem(404, 'NOT_FOUND', `no repository ${repo} on GitHub`);
    if ((upstream.status === 403 || upstream.status === 429) && upstream.headers.get('x-ratelimit-remaining') === '0') {
      const reset = Number(upstream.headers.get('x-ratelimit-reset') ?? 0) * 1000;
      const retryAfter = Math.max(1, Math.ceil((reset - Date.now()) / 1000));
      return problem(429, 'RATE_LIMITED', `GitHub's rate limit is used up; set the GITHUB_TOKEN secret for a higher one`, { 'retry-after': String(retryAfter) });
    }
    if (!upstream.ok) return problem(502, 'UPSTREAM_ERROR', `GitHub answered ${upstream.status} ${upstream.statusText}`);

    const body = (await upstream.json()) as GitHubRepository;
    return Response.json(
      {
        repo: body.full_name,
        description: body.description,
        stars: body.stargazers_count,
        forks: body.forks_count,
        openIssues: body.open_issues_count,
        url: body.html_url,
      },
      // Let browsers and proxies keep it a minute: stars do not change that fast.
      { headers: { 'cache-control': 'public, max-age=60' } },
    );
  },
} satisfies ExportedHandler<Env>;

function problem(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}
