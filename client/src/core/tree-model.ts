/**
 * The experiments tree as plain data: experiments > trials > runs > (epochs, checkpoints),
 * with an Artifacts group under an experiment or trial that has artifacts of its own, plus
 * message items (a database that cannot be opened, Node not found). Children come from
 * the query service; labels, descriptions, tooltips and icons are computed here, so the
 * benchmark and the unit tests exercise the same code the editor shows. No `vscode`.
 */
import * as path from "node:path";
import type {
  ArtifactRecord,
  CheckpointRecord,
  EpochSummary,
  ExperimentSummary,
  QueryMethod,
  QueryMethods,
  RunStatusName,
  RunSummary,
  TrialOrder,
  TrialPageEntry,
  TrialSummary,
} from "@expman/runtime/contracts";
import { NO_CHECKPOINT_WARNING } from "@expman/runtime/contracts";
import { runColor } from "./run-colors";
import type { LiveRuns } from "./live-runs";

export type Query = <M extends QueryMethod>(
  method: M,
  params: QueryMethods[M]["params"],
) => Promise<QueryMethods[M]["result"]>;

export type TreeNode =
  /** An experiment started from this window that has no row in a database yet (seconds, while its process starts). */
  | { kind: "starting"; id: string; name: string; configDir: string; managedId: number; queued: boolean }
  | {
      kind: "message";
      id: string;
      label: string;
      detail: string;
      severity: "info" | "error";
      db?: string;
      action?: "openSettings" | "installRuntime";
    }
  /**
   * One launch of an experiment. `launch`: it is one of several launches from the same folder,
   * shown under their group by its date and time, `latest` when it is the newest.
   */
  | {
      kind: "experiment";
      id: string;
      db: string;
      dbLabel?: string;
      experiment: ExperimentSummary;
      launch?: { latest: boolean };
    }
  /** An experiment launched more than once from the same folder: its launches, newest first. */
  | { kind: "group"; id: string; db: string; dbLabel?: string; title: string; launches: ExperimentSummary[] }
  | {
      kind: "trial";
      id: string;
      db: string;
      trial: TrialSummary | TrialPageEntry;
      order?: TrialOrder;
      /** Its experiment's origin: a trial of the Python original has no run statuses to count. */
      origin?: ExperimentSummary["origin"];
    }
  /** "Show 200 more": the next page of a long list (trials of a sweep, runs of a trial). */
  | { kind: "more"; id: string; db: string; parentId: string; shown: number; total: number; what: "trials" | "runs" }
  | { kind: "run"; id: string; db: string; run: RunSummary }
  | { kind: "epochs"; id: string; db: string; run: RunSummary }
  | { kind: "checkpoints"; id: string; db: string; run: RunSummary }
  | { kind: "epoch"; id: string; db: string; run: RunSummary; epoch: EpochSummary }
  | { kind: "checkpoint"; id: string; db: string; run: RunSummary; checkpoint: CheckpointRecord }
  /** Artifacts logged at experiment or trial level (a figure, the config), not under a run. */
  | {
      kind: "artifacts";
      id: string;
      db: string;
      owner: "experiment" | "trial";
      ownerName: string;
      artifacts: ArtifactRecord[];
    }
  | { kind: "artifact"; id: string; db: string; artifact: ArtifactRecord };

export interface Presentation {
  label: string;
  description?: string;
  /** Markdown. */
  tooltip: string;
  icon: { id: string; color?: string };
  /** `contextValue` for menus: the node kind, plus `.running` / `.missing` qualifiers. */
  contextValue: string;
  collapsible: "none" | "collapsed" | "expanded";
}

export const STATUS_WORDS: Record<RunStatusName, string> = {
  RUNNING: "running",
  SUCCESS: "succeeded",
  FINISHED: "finished",
  FAILED: "failed",
  ABORTED: "aborted",
  STOPPED: "stopped early",
  SKIPPED: "skipped",
  QUEUED: "queued",
};

const STATUS_ICONS: Record<RunStatusName, { id: string; color?: string }> = {
  RUNNING: { id: "sync~spin", color: "charts.blue" },
  SUCCESS: { id: "pass", color: "testing.iconPassed" },
  FINISHED: { id: "pass", color: "testing.iconPassed" },
  FAILED: { id: "error", color: "testing.iconFailed" },
  ABORTED: { id: "stop-circle", color: "charts.orange" },
  STOPPED: { id: "debug-stop", color: "charts.yellow" },
  SKIPPED: { id: "circle-slash" },
  QUEUED: { id: "clock" },
};

/**
 * A run's icon: the status glyph (spinner, check, cross, stop) in the run's chart colour, so a
 * tree row and its line in the metrics panel match. The glyph and the status word that starts
 * the description still say the status; tinting by status instead would repeat that and lose
 * the link to the chart.
 */
/**
 * What a database of the Python original does not record, said where the tree would show it
 * (its runs read back FINISHED through the API, which is not something the original said).
 */
const NOT_RECORDED_STATUS = "status not recorded";

function originalNote(notRecorded: readonly string[] | undefined): string {
  return `From a database written by the Python original (read-only). Not recorded by the original: ${(notRecorded ?? []).map(escapeMd).join(", ")}.`;
}

export function runIcon(runId: number, status: RunStatusName): { id: string; color: string } {
  return { id: (STATUS_ICONS[status] ?? { id: "circle-outline" }).id, color: runColor(runId).themeColor };
}

/** Metrics worth a glance, in order of preference. */
const KEY_METRICS = ["val_acc", "val_loss", "test_acc", "test_loss", "train_acc", "train_loss"];

export function formatValue(value: unknown): string {
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(3) : value.toPrecision(4).replace(/\.?0+$/, "");
}

/** Up to `count` `key value` pairs of the most telling metrics. */
export function keyMetrics(metrics: Record<string, number | string>, count = 2): string {
  const keys = Object.keys(metrics);
  const chosen = KEY_METRICS.filter((k) => k in metrics);
  for (const k of keys) if (chosen.length < count && !chosen.includes(k)) chosen.push(k);
  return chosen
    .slice(0, count)
    .map((k) => `${k} ${formatValue(metrics[k])}`)
    .join(" · ");
}

function metricsTable(metrics: Record<string, number | string>): string {
  const keys = Object.keys(metrics).sort();
  if (keys.length === 0) return "";
  return [
    "| metric | value |",
    "|---|---|",
    ...keys.map(
      (k) =>
        `| ${escapeMd(k)} | ${typeof metrics[k] === "string" ? escapeMd(formatValue(metrics[k])) : formatValue(metrics[k])} |`,
    ),
  ].join("\n");
}

/**
 * Text for a Markdown tooltip, shown literally: the characters that open inline markup
 * (emphasis, code, links and images, HTML, entities, tables, headings, strike-through) are
 * backslash-escaped and line breaks become spaces (no new block), so names, messages and paths
 * can make no link, image, HTML or table; `.`, `-`, `/` stay as they are, readable.
 */
export function escapeMd(text: string): string {
  return text.replace(/\r?\n|\r/g, " ").replace(/[\\`*_{}[\]()<>#+!|~&]/g, "\\$&");
}

/**
 * A path (or any text) as a Markdown code span: the fence is one backtick longer than the
 * longest run inside, padded when the text starts or ends with a backtick, so a path with
 * backticks cannot close the span early and turn the rest into Markdown.
 */
export function mdCode(text: string): string {
  const flat = text.replace(/\r?\n|\r/g, " ");
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || flat === "" ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * `experiment`, `.config` (runnable again from its folder), `.resumable` (the latest launch of
 * its folder has runs a resume runs again), `.running` (Stop Experiment applies; always last).
 */
function experimentContext(e: ExperimentSummary, latest: boolean): string {
  const resumable = latest && e.configDir && runsToResume(e) > 0;
  return `experiment${e.configDir ? ".config" : ""}${resumable ? ".resumable" : ""}${e.status === "RUNNING" ? ".running" : ""}`;
}

function duration(start: number, end: number | null): string {
  if (end === null) return "";
  const ms = end - start;
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

export function runLabel(run: Pick<RunSummary, "trialName" | "repeat">): string {
  return `${run.trialName}-${run.repeat}`;
}

/** Rows per page of a long list; "Show more" adds as many again. */
export const PAGE_SIZE = 200;

/** A launch's date and time, as its row under the experiment's name shows it (local time, to the second). */
export function launchLabel(startTime: number): string {
  const d = new Date(startTime);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Runs that `expman run --resume` would run again. */
const RESUMABLE: readonly RunStatusName[] = ["FAILED", "ABORTED", "QUEUED"];

/** How many runs of a launch a resume would run again (0: nothing to resume, or it is running). */
export function runsToResume(e: ExperimentSummary): number {
  if (e.status === "RUNNING") return 0;
  return RESUMABLE.reduce((n, s) => n + (e.runStatusCounts?.[s] ?? 0), 0);
}

/**
 * Groups a database's experiments by the folder they were launched from (by title when the
 * folder is unknown): one launch is an experiment row as before; several become one row named
 * after the experiment with a row per launch (date and time), newest first. Rows newest first.
 */
export function groupLaunches(db: string, experiments: ExperimentSummary[], dbLabel?: string): TreeNode[] {
  const groups = new Map<string, ExperimentSummary[]>();
  for (const e of [...experiments].sort((a, b) => b.startTime - a.startTime || b.id - a.id)) {
    const key = e.configDir ? `dir:${e.configDir}` : `title:${e.title}`;
    const list = groups.get(key);
    if (list) list.push(e);
    else groups.set(key, [e]);
  }
  return [...groups.entries()].map(([key, launches]): TreeNode => {
    if (launches.length === 1)
      return { kind: "experiment", id: `${db}#e${launches[0].id}`, db, dbLabel, experiment: launches[0] };
    return { kind: "group", id: `${db}#g${key}`, db, dbLabel, title: launches[0].title, launches };
  });
}

/** The experiment node a command on a row means: a group stands for its latest launch. */
export function experimentNodeOf(node: TreeNode): TreeNode {
  if (node.kind !== "group") return node;
  const latest = node.launches[0];
  return { kind: "experiment", id: `${node.db}#e${latest.id}`, db: node.db, dbLabel: node.dbLabel, experiment: latest };
}

function orderText(order: TrialOrder | undefined): string {
  if (!order || order.by === "plan") return "in the order of trials.yaml";
  if (order.by === "status")
    return "best first by status (succeeded, stopped, running, queued, aborted, failed), then name: no watched metric";
  return `best first by ${order.metric.key} (${order.metric.mode}, from ${order.metric.source}), then by status`;
}

function statusCountsText(counts: Partial<Record<RunStatusName, number>> | undefined): string {
  if (!counts) return "";
  return (Object.entries(counts) as [RunStatusName, number][])
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${STATUS_WORDS[s] ?? s}`)
    .join(", ");
}

export class TreeModel {
  /** Rows shown per paged list, by the parent's node id (PAGE_SIZE until "Show more"). */
  private readonly shown = new Map<string, number>();

  constructor(
    private readonly query: Query,
    private readonly live?: LiveRuns,
  ) {}

  /** "Show more" on a paged list: the next page joins the rows shown under `parentId`. */
  showMore(parentId: string): void {
    this.shown.set(parentId, this.limit(parentId) + PAGE_SIZE);
  }

  private limit(parentId: string): number {
    return this.shown.get(parentId) ?? PAGE_SIZE;
  }

  /** Experiments of every database (newest first); a database that fails becomes an error item. */
  async roots(dbs: readonly string[], workspaceRoot?: string): Promise<TreeNode[]> {
    const multi = dbs.length > 1;
    const perDb = await Promise.all(
      dbs.map(async (db): Promise<TreeNode[]> => {
        const dbLabel = workspaceRoot ? path.relative(workspaceRoot, db) : db;
        try {
          const experiments = await this.query("experiments.list", { db });
          return groupLaunches(db, experiments, multi ? dbLabel : undefined);
        } catch (e) {
          const why = e instanceof Error ? e.message : String(e);
          return [
            {
              kind: "message",
              id: `${db}#error`,
              label: `${path.basename(db)}: cannot open`,
              detail: `${db}\n\n${why}`,
              severity: "error",
              db,
            },
          ];
        }
      }),
    );
    // Newest first across databases (a group by its latest launch).
    const start = (n: TreeNode) =>
      n.kind === "experiment" ? n.experiment.startTime : n.kind === "group" ? n.launches[0].startTime : Infinity;
    return perDb.flat().sort((a, b) => start(b) - start(a));
  }

  async children(node: TreeNode): Promise<TreeNode[]> {
    switch (node.kind) {
      case "group":
        return node.launches.map((experiment, i) => ({
          kind: "experiment",
          id: `${node.db}#e${experiment.id}`,
          db: node.db,
          experiment,
          launch: { latest: i === 0 },
        }));
      case "experiment": {
        const limit = this.limit(node.id);
        const [page, artifacts] = await Promise.all([
          this.query("trials.page", { db: node.db, experimentId: node.experiment.id, offset: 0, limit }),
          this.artifactsGroup(node, "experiment", node.experiment.title, {
            db: node.db,
            experimentId: node.experiment.id,
          }),
        ]);
        const trials = page.trials.map((trial): TreeNode => ({
          kind: "trial",
          id: `${node.db}#t${trial.id}`,
          db: node.db,
          trial,
          order: page.order,
          ...(node.experiment.origin ? { origin: node.experiment.origin } : {}),
        }));
        return [...trials, ...this.moreNode(node, trials.length, page.total, "trials"), ...artifacts];
      }
      case "trial": {
        const limit = this.limit(node.id);
        const [runs, artifacts] = await Promise.all([
          this.query("runs.list", { db: node.db, trialId: node.trial.id, offset: 0, limit }),
          this.artifactsGroup(node, "trial", node.trial.name, { db: node.db, trialId: node.trial.id }),
        ]);
        return [
          ...runs.map((run): TreeNode => ({ kind: "run", id: `${node.db}#r${run.id}`, db: node.db, run })),
          ...this.moreNode(node, runs.length, Math.max(node.trial.runCount, runs.length), "runs"),
          ...artifacts,
        ];
      }
      case "artifacts":
        return node.artifacts.map((artifact) => ({
          kind: "artifact",
          id: `${node.id}/${artifact.id}`,
          db: node.db,
          artifact,
        }));
      case "run":
        return [
          { kind: "epochs", id: `${node.id}/epochs`, db: node.db, run: node.run },
          { kind: "checkpoints", id: `${node.id}/checkpoints`, db: node.db, run: node.run },
        ];
      case "epochs": {
        const epochs = await this.query("epochs.list", { db: node.db, runId: node.run.id });
        return epochs.map((epoch) => ({
          kind: "epoch",
          id: `${node.id}/${epoch.idx}`,
          db: node.db,
          run: node.run,
          epoch,
        }));
      }
      case "checkpoints": {
        const checkpoints = await this.query("checkpoints.list", { db: node.db, runId: node.run.id });
        return checkpoints.map((checkpoint) => ({
          kind: "checkpoint",
          id: `${node.id}/${checkpoint.id}`,
          db: node.db,
          run: node.run,
          checkpoint,
        }));
      }
      default:
        return [];
    }
  }

  private moreNode(parent: TreeNode, shown: number, total: number, what: "trials" | "runs"): TreeNode[] {
    if (shown >= total) return [];
    const db = "db" in parent ? (parent.db ?? "") : "";
    return [{ kind: "more", id: `${parent.id}/more`, db, parentId: parent.id, shown, total, what }];
  }

  /**
   * The Artifacts group of an experiment or trial: none when it has no artifacts of its own
   * (most have none, and an empty group is noise); a message item when they cannot be listed,
   * so the trials or runs beside it still show.
   */
  private async artifactsGroup(
    parent: TreeNode,
    owner: "experiment" | "trial",
    ownerName: string,
    params: QueryMethods["artifacts.list"]["params"],
  ): Promise<TreeNode[]> {
    const id = `${parent.id}/artifacts`;
    try {
      const artifacts = await this.query("artifacts.list", params);
      return artifacts.length ? [{ kind: "artifacts", id, db: params.db, owner, ownerName, artifacts }] : [];
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return [
        { kind: "message", id, label: "Artifacts: could not be listed", detail: why, severity: "error", db: params.db },
      ];
    }
  }

  /** The status shown for a run: the live one while the database still says RUNNING. */
  runStatus(run: RunSummary): { status: RunStatusName; progress?: string; noCheckpoint?: string } {
    const live = this.live?.get(run.uid);
    // Live from the run's events, else as stored with the run (after a reload).
    const noCheckpoint =
      live?.noCheckpoint ?? (run.warning?.startsWith(NO_CHECKPOINT_WARNING) ? run.warning : undefined);
    if (run.status === "RUNNING" && live) {
      const progress =
        live.epoch !== null
          ? live.epochs
            ? `epoch ${live.epoch + 1}/${live.epochs}`
            : `epoch ${live.epoch + 1}`
          : undefined;
      return { status: live.status, progress: live.status === "RUNNING" ? progress : undefined, noCheckpoint };
    }
    return { status: run.status, noCheckpoint };
  }

  present(node: TreeNode): Presentation {
    switch (node.kind) {
      case "starting":
        return {
          label: node.name,
          description: node.queued ? "queued" : "starting…",
          tooltip: `**${escapeMd(node.name)}**: ${node.queued ? "queued behind other runs" : "starting (checking the config, loading the pipeline)"}\n\nConfig: ${mdCode(node.configDir)}`,
          icon: { id: node.queued ? "clock" : "loading~spin" },
          contextValue: "starting.running",
          collapsible: "none",
        };
      case "message":
        return {
          label: node.label,
          description: node.severity === "error" ? node.detail.split("\n").pop() : undefined,
          tooltip: escapeMd(node.detail),
          icon: node.severity === "error" ? { id: "error", color: "errorForeground" } : { id: "info" },
          contextValue: node.db ? "message.db" : "message",
          collapsible: "none",
        };
      case "experiment": {
        const e = node.experiment;
        const original = e.origin === "python-original";
        const statusWord = original ? "Python original" : (STATUS_WORDS[e.status] ?? e.status);
        const parts = [`${e.runCount} run${e.runCount === 1 ? "" : "s"}`, statusWord];
        if (node.launch) parts.push(node.launch.latest ? "latest launch" : e.title);
        else parts.push(launchLabel(e.startTime));
        if (node.dbLabel) parts.push(node.dbLabel);
        const counts = statusCountsText(e.runStatusCounts);
        return {
          // Under its group a launch is named by when it started; the group carries the name.
          label: node.launch ? launchLabel(e.startTime) : e.title,
          description: parts.join(" · "),
          tooltip: [
            `**${escapeMd(e.title)}**${node.launch ? `: launch of ${escapeMd(launchLabel(e.startTime))}` : ""}`,
            e.desc ? escapeMd(e.desc) : "",
            original
              ? `${e.trialCount} trials, ${e.runCount} runs`
              : `${e.trialCount} trials, ${e.runCount} runs, ${statusWord}${counts ? ` (${counts})` : ""}`,
            original ? originalNote(e.notRecorded) : "",
            `Started ${new Date(e.startTime).toLocaleString()}${e.endTime ? `, took ${duration(e.startTime, e.endTime)}` : ""}`,
            e.configDir ? `Config: ${mdCode(e.configDir)}` : "",
            `Database: ${mdCode(node.db)}`,
          ]
            .filter(Boolean)
            .join("\n\n"),
          icon: {
            id: node.launch ? "history" : "beaker",
            color: e.status === "FAILED" ? "testing.iconFailed" : undefined,
          },
          contextValue: experimentContext(e, !node.launch || node.launch.latest),
          collapsible: node.launch?.latest ? "expanded" : "collapsed",
        };
      }
      case "group": {
        const latest = node.launches[0];
        const parts = [
          `${node.launches.length} launches`,
          `latest ${STATUS_WORDS[latest.status] ?? latest.status} ${launchLabel(latest.startTime)}`,
        ];
        if (node.dbLabel) parts.push(node.dbLabel);
        return {
          label: node.title,
          description: parts.join(" · "),
          tooltip: [
            `**${escapeMd(node.title)}**: launched ${node.launches.length} times${latest.configDir ? ` from ${mdCode(latest.configDir)}` : ""}`,
            ...node.launches
              .slice(0, 10)
              .map(
                (e) =>
                  `- ${escapeMd(launchLabel(e.startTime))}: ${e.runCount} runs, ${STATUS_WORDS[e.status] ?? e.status}`,
              ),
            node.launches.length > 10 ? `- … ${node.launches.length - 10} earlier` : "",
            `Database: ${mdCode(node.db)}`,
          ]
            .filter(Boolean)
            .join("\n\n"),
          icon: { id: "beaker", color: latest.status === "FAILED" ? "testing.iconFailed" : undefined },
          // Commands on the group act on its latest launch (experimentNodeOf).
          contextValue: experimentContext(latest, true),
          collapsible: "collapsed",
        };
      }
      case "trial": {
        const t = node.trial;
        const counts = "runStatusCounts" in t ? t.runStatusCounts : undefined;
        const best =
          node.order?.by === "metric" && "best" in t && t.best !== null && t.best !== undefined
            ? `best ${node.order.metric.key} ${formatValue(t.best)}`
            : "";
        const statusText = node.origin === "python-original" ? NOT_RECORDED_STATUS : statusCountsText(counts);
        return {
          label: t.name,
          description: [`${t.runCount} run${t.runCount === 1 ? "" : "s"}`, best, t.runCount > 1 ? "" : statusText]
            .filter(Boolean)
            .join(" · "),
          tooltip: [
            `**${escapeMd(t.name)}**`,
            `${t.runCount} runs${statusText ? `: ${statusText}` : ""}`,
            best ? escapeMd(best) : "",
            node.order && node.order.by !== "plan" ? `Trials listed ${escapeMd(orderText(node.order))}.` : "",
            t.workspace ? `Workspace: ${mdCode(t.workspace)}` : "",
          ]
            .filter(Boolean)
            .join("\n\n"),
          icon: { id: "symbol-class" },
          contextValue: "trial",
          collapsible: "collapsed",
        };
      }
      case "more": {
        const next = Math.min(PAGE_SIZE, node.total - node.shown);
        return {
          label: `Show ${next} more`,
          description: `${node.shown} of ${node.total} ${node.what}`,
          tooltip: `${node.shown} of ${node.total} ${node.what} shown. Click to show the next ${next}.`,
          icon: { id: "ellipsis" },
          contextValue: "more",
          collapsible: "none",
        };
      }
      case "run": {
        const r = node.run;
        const original = r.origin === "python-original";
        const { status, progress, noCheckpoint } = this.runStatus(r);
        const metrics = keyMetrics(r.finalMetrics);
        const statusWord = original ? NOT_RECORDED_STATUS : (STATUS_WORDS[status] ?? status);
        const description = [progress ?? statusWord, noCheckpoint ? "no checkpoint saved" : "", metrics]
          .filter(Boolean)
          .join(" · ");
        const params = Object.entries(r.params)
          .slice(0, 20)
          .map(([k, v]) => `${escapeMd(k)}=${escapeMd(JSON.stringify(v))}`)
          .join(", ");
        return {
          label: runLabel(r),
          description,
          tooltip: [
            `**${escapeMd(runLabel(r))}**: ${statusWord}${progress ? ` (${progress})` : ""}`,
            `seed ${r.seed ?? "-"}, ${r.epochCount} epochs${r.endTime ? `, ${duration(r.startTime, r.endTime)}` : ""}`,
            original ? `${originalNote(r.notRecorded)} Its runs are numbered in the order they were written.` : "",
            r.error ? `**Error:** ${escapeMd(r.error.message)}` : "",
            noCheckpoint ? `**Warning:** ${escapeMd(noCheckpoint)}` : "",
            params ? `Params: ${params}` : "",
            r.tags?.length ? `Tags: ${r.tags.map((t) => escapeMd(t)).join(", ")}` : "",
            r.note ? `Note: ${escapeMd(r.note)}` : "",
            metricsTable(r.finalMetrics),
          ]
            .filter(Boolean)
            .join("\n\n"),
          // No pass/fail icon for a status nobody recorded: the run's colour on a plain circle.
          icon: original ? { id: "circle-outline", color: runColor(r.id).themeColor } : runIcon(r.id, status),
          contextValue: status === "RUNNING" ? "run.running" : "run",
          collapsible: "collapsed",
        };
      }
      case "epochs":
        return {
          label: "Epochs",
          description: String(node.run.epochCount),
          tooltip: `${node.run.epochCount} epochs of ${escapeMd(runLabel(node.run))}`,
          icon: { id: "list-ordered" },
          contextValue: "epochs",
          collapsible: "collapsed",
        };
      case "checkpoints":
        return {
          label: "Checkpoints",
          tooltip: `Checkpoints of ${escapeMd(runLabel(node.run))}`,
          icon: { id: "save-all" },
          contextValue: "checkpoints",
          collapsible: "collapsed",
        };
      case "epoch": {
        const e = node.epoch;
        return {
          label: `epoch ${e.idx}`,
          description: keyMetrics(e.metrics),
          tooltip: [
            `**epoch ${e.idx}**: ${node.run.origin === "python-original" ? NOT_RECORDED_STATUS : (STATUS_WORDS[e.status] ?? e.status)}, ${e.batchCount} batches${e.endTime ? `, ${duration(e.startTime, e.endTime)}` : ""}`,
            metricsTable(e.metrics),
          ]
            .filter(Boolean)
            .join("\n\n"),
          icon:
            e.status === "RUNNING"
              ? STATUS_ICONS.RUNNING
              : e.status === "FAILED"
                ? STATUS_ICONS.FAILED
                : { id: "circle-small-filled" },
          contextValue: "epoch",
          collapsible: "none",
        };
      }
      case "artifacts":
        return {
          label: "Artifacts",
          description: String(node.artifacts.length),
          tooltip: `Artifacts of the ${node.owner} ${escapeMd(node.ownerName)} (not of one run)`,
          icon: { id: "files" },
          contextValue: "artifacts",
          collapsible: "collapsed",
        };
      case "artifact": {
        const a = node.artifact;
        return {
          label: path.basename(a.path),
          description: a.type,
          tooltip: [
            `**${escapeMd(path.basename(a.path))}** (${escapeMd(a.type)}, ${a.level} artifact)`,
            mdCode(a.path),
            a.time ? `Logged ${new Date(a.time).toLocaleString()}` : "",
          ]
            .filter(Boolean)
            .join("\n\n"),
          icon: { id: "file" },
          contextValue: "artifact",
          collapsible: "none",
        };
      }
      case "checkpoint": {
        const c = node.checkpoint;
        const where = c.final ? "final" : c.epoch !== null ? `epoch ${c.epoch}` : "";
        const missing = c.exists === false;
        return {
          label: path.basename(c.path),
          description: [where, keyMetrics(c.metrics, 1), missing ? "missing" : ""].filter(Boolean).join(" · "),
          tooltip: [
            `**${escapeMd(path.basename(c.path))}** (${where || "checkpoint"})`,
            mdCode(c.path),
            missing ? "The file is no longer on disk." : "",
            metricsTable(c.metrics),
          ]
            .filter(Boolean)
            .join("\n\n"),
          icon: missing ? { id: "warning", color: "list.warningForeground" } : { id: c.final ? "pass-filled" : "save" },
          contextValue: missing ? "checkpoint.missing" : "checkpoint",
          collapsible: "none",
        };
      }
    }
  }
}
