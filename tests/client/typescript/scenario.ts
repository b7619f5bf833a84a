// A user's day with a TypeScript client generated from openapi.json by stock tools, with their
// default options: openapi-typescript writes ./api.d.ts (the types), openapi-fetch makes the
// calls (no raw fetch), tsc --strict checks it all (tests/client/test_typescript_client.py).
//
// Environment: STINT_API_URL, STINT_TOKEN (an access token), STINT_HOOK_URL (a receiver).
// Output, one JSON object a line: {"webhook": {id, secret}} once the webhook exists, after which
// it waits for a line on stdin (the receiver knows the secret); then {"result": {...}}, the
// facts the test asserts on. Any answer that is not a success throws (exit status 1).

import { createInterface } from "node:readline";

import createClient from "openapi-fetch";

import type { components, paths } from "./api.js";

type Schemas = components["schemas"];

function environment(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const client = createClient<paths>({
  baseUrl: environment("STINT_API_URL"),
  headers: { Authorization: `Bearer ${environment("STINT_TOKEN")}` },
});

/** The body of a success; anything else throws with the status and the error body. */
async function ok<Data, Failure>(
  call: Promise<{ data?: Data; error?: Failure; response: Response }>,
): Promise<Data> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) {
    throw new Error(`${response.status} ${response.url}: ${JSON.stringify(error)}`);
  }
  return data;
}

/** A success without a body (204). */
async function done(
  call: Promise<{ error?: unknown; response: Response }>,
): Promise<number> {
  const { error, response } = await call;
  if (!response.ok) {
    throw new Error(`${response.status} ${response.url}: ${JSON.stringify(error)}`);
  }
  return response.status;
}

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function waitForGo(): Promise<void> {
  const line = await stdin.next();
  if (line.done) {
    throw new Error("stdin closed before the receiver was ready");
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A session's money is absent to those who do not see it (docs/API.md, "Money"): its type
// says so (with `default: 0` in the document, openapi-typescript typed it as always there).
const unseen: Schemas["Session"]["amount"] = undefined;

// A session's task by `id` or `title` (docs/API.md, "Titles are reused"): the single routes'
// type says so, and one naming neither does not compile. A batch's operation takes it (a
// non-atomic batch answers it with that operation's own 400; the document refuses it in an
// atomic batch with `if`/`then`, which openapi-typescript does not type).
// @ts-expect-error: neither `id` nor `title`
const unnamed: Schemas["SessionTaskRef"] = { projectId: "p1" };
const unnamedInABatch: Schemas["BatchSessionTaskRef"] = { projectId: "p1" };

const unique = Date.now().toString(36);
const WEEK = { from: "2026-11-23T00:00:00Z", to: "2026-11-30T00:00:00Z" };

// Where we start: everything so far, and a token for what comes next.
const me = await ok(client.GET("/v1/me"));
const full = await ok(client.GET("/v1/sync"));

// The money settings of the personal workspace (before any session: nothing to re-rate).
const { workspaces } = await ok(client.GET("/v1/workspaces"));
const personal = workspaces.find((workspace) => workspace.personal);
if (personal === undefined) {
  throw new Error("no personal workspace");
}
const settings: Schemas["WorkspaceSettingsFields"] = {
  currency: "USD",
  billableRate: 40,
  membersSeeRates: false,
};
const { workspace } = await ok(
  client.PATCH("/v1/workspaces/{workspaceId}", {
    params: { path: { workspaceId: personal.id } },
    body: { workspace: { settings } },
  }),
);

// The webhook first, so the receiver is ready before anything happens.
const { webhook } = await ok(
  client.POST("/v1/webhooks", {
    body: { hookUrl: environment("STINT_HOOK_URL"), triggerType: "project" },
  }),
);
print({ webhook: { id: webhook.id, secret: webhook.secret } });
await waitForGo();

// A project with a fractional rate, a task in it, a tag.
const { project } = await ok(
  client.POST("/v1/projects", { body: { project: { title: `Acme ${unique}`, hourlyRate: 95.5 } } }),
);
const { task } = await ok(
  client.POST("/v1/tasks", { body: { task: { title: `Report ${unique}`, projectId: project.id } } }),
);
const { tag } = await ok(client.POST("/v1/tags", { body: { tag: { name: `client ${unique}` } } }));

// A session by its task's title (no retroAdded, no type: they have defaults), one tag by id
// and one by name (created).
const written = await ok(
  client.POST("/v1/sessions", {
    body: {
      task: { title: task.title ?? "", projectId: project.id },
      session: {
        startTimestamp: "2026-11-23T09:00:00Z",
        duration: 3600,
        note: "by title",
        tagIds: [tag.id],
        tags: [`deep ${unique}`],
      },
    },
  }),
);

// A timer started and stopped with no body.
const started = await ok(client.POST("/v1/timer", { body: { taskId: task.id } }));
const stopped = await ok(client.POST("/v1/timer/stop"));

// A task event: tracking started by the events route, stopped by Time Magic's PATCH form with
// no body.
const tracking = await ok(
  client.POST("/v1/tasks/{taskId}/events", {
    params: { path: { taskId: task.id } },
    body: { event: "start_tracking", note: "by event" },
  }),
);
const untracked = await ok(
  client.PATCH("/v1/tasks/{taskId}", {
    params: { path: { taskId: task.id }, query: { event: "stop_tracking" } },
  }),
);

// A batch: one session created, the timer's deleted.
const batch = await ok(
  client.POST("/v1/sessions/batch", {
    body: {
      operations: [
        {
          op: "create",
          body: {
            task: { id: task.id },
            session: { startTimestamp: "2026-11-24T09:00:00Z", duration: 1800 },
          },
        },
        { op: "delete", id: stopped.session.id },
      ],
    },
  }),
);

// What changed since the first sync.
const changes = await ok(client.GET("/v1/sync", { params: { query: { syncToken: full.syncToken } } }));
const tags = await ok(client.GET("/v1/tags"));

// Every report, in JSON and in CSV.
const summary = await ok(client.GET("/v1/reports/summary", { params: { query: WEEK } }));
const detailed = await ok(client.GET("/v1/reports/detailed", { params: { query: WEEK } }));
const weekly = await ok(client.GET("/v1/reports/weekly", { params: { query: { from: "2026-11-23" } } }));
const summaryCsv = await ok(
  client.GET("/v1/reports/summary.csv", { params: { query: WEEK }, parseAs: "text" }),
);
const detailedCsv = await ok(
  client.GET("/v1/reports/detailed.csv", { params: { query: WEEK }, parseAs: "text" }),
);
const weeklyCsv = await ok(
  client.GET("/v1/reports/weekly.csv", { params: { query: { from: "2026-11-23" } }, parseAs: "text" }),
);

// The webhook's test ping, and its delivery log: the ping, and the project's creation.
const queued = await ok(
  client.POST("/v1/webhooks/{webhookId}/test", { params: { path: { webhookId: webhook.id } } }),
);
let deliveries: Schemas["DeliveryAttempt"][] = [];
for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(300)) {
  ({ deliveries } = await ok(
    client.GET("/v1/webhooks/{webhookId}/deliveries", {
      params: { path: { webhookId: webhook.id } },
    }),
  ));
  if (deliveries.some((attempt) => attempt.id === queued.delivery.id)) {
    break;
  }
}

const webhookDeleted = await done(
  client.DELETE("/v1/webhooks/{webhookId}", { params: { path: { webhookId: webhook.id } } }),
);

print({
  result: {
    email: me.email,
    fullHasMore: full.hasMore,
    workspace: { id: workspace.id, settings: workspace.settings },
    project: { id: project.id, title: project.title, hourlyRate: project.hourlyRate },
    task: { id: task.id, title: task.title },
    tag: tag.id,
    session: {
      id: written.session.id,
      taskId: written.session.taskId,
      amount: written.session.amount,
      billableRate: written.session.billableRate,
      retroAdded: written.session.retroAdded,
      type: written.session.type,
      tagIds: written.session.tagIds,
      createdTags: (written.tags ?? []).map((created) => created.name),
    },
    timer: {
      started: started.timer.session.id,
      running: started.timer.session.running,
      stopped: stopped.session.id,
      stoppedRunning: stopped.session.running,
      amount: stopped.session.amount,
    },
    taskEvent: {
      started: tracking.session?.id,
      startedRunning: tracking.session?.running,
      note: tracking.session?.note,
      stopped: untracked.session?.id,
      stoppedRunning: untracked.session?.running,
    },
    batch: batch.results.map((result) => ({
      status: result.status,
      session: result.session?.id,
      amount: result.session?.amount,
    })),
    sync: {
      projects: (changes.projects ?? []).map((p) => p.id),
      tasks: (changes.tasks ?? []).map((t) => t.id),
      sessions: (changes.sessions ?? []).map((s) => s.id),
      tags: (changes.tags ?? []).map((t) => t.id),
      deleted: (changes.deleted ?? []).map((d) => d.id),
      workspaces: (changes.workspaces ?? []).map((w) => w.id),
    },
    tags: tags.tags.map((t) => t.name),
    reports: {
      summary: { totals: summary.totals, groups: summary.groups.map((g) => [g.id, g.amount]) },
      detailed: {
        totals: detailed.totals,
        entries: detailed.entries.map((e) => [e.sessionId, e.amount, e.hourlyRate]),
      },
      weekly: { days: weekly.days, totals: weekly.totals },
      summaryCsv,
      detailedCsv,
      weeklyCsv,
    },
    webhook: {
      ping: queued.delivery.id,
      deliveries: deliveries.map((d) => [d.id, d.eventType, d.status, d.responseStatus]),
      deleted: webhookDeleted,
    },
  },
});
process.exit(0);
