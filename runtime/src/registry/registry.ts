import { RegistryError } from "../common/errors";
import { closestNames } from "./suggest";
import type { ParamsSchema, RegistryDescription, RegistryKind, TypeDescription } from "./schema";
import { REGISTRY_KINDS } from "./schema";

/** A class the registry can hold: pipelines, trackers and callbacks carry their kind statically. */
export interface RegistrableClass {
  /** Any constructor: each kind's base class says how it is built (`fromConfig`). */
  new (...args: never[]): unknown;
  /** Set by the Pipeline, Tracker and Callback base classes and inherited by subclasses. */
  readonly registryKind?: RegistryKind;
  /** An optional declared parameter schema (`static params = {...}`). */
  readonly params?: ParamsSchema;
  readonly description?: string;
  /** Custom metric names the class produces (`static metrics = ["grad_norm"]`). */
  readonly metrics?: readonly string[];
}

export interface RegisterOptions {
  kind?: RegistryKind;
  params?: ParamsSchema;
  metrics?: readonly string[];
  description?: string;
  closed?: boolean;
}

export interface RegistryEntry extends TypeDescription {
  cls: RegistrableClass;
}

/**
 * One registry per kind (pipeline, tracker, callback). Unlike the Python original's single
 * global dict, a name taken by a different class is an error instead of a silent overwrite.
 *
 * The instance lives on `globalThis` under a registered symbol so that user modules importing
 * another copy of this package (the workspace's) and the CLI (the extension's bundled copy)
 * still share one registry.
 */
export class Registry {
  private readonly byKind = new Map<RegistryKind, Map<string, RegistryEntry>>(
    REGISTRY_KINDS.map((k) => [k, new Map<string, RegistryEntry>()]),
  );
  /** The module being loaded by `loadImports`, so registrations know their source file. */
  currentModule: string | undefined;

  add(name: string, cls: RegistrableClass, options: RegisterOptions = {}): RegistryEntry {
    if (typeof name !== "string" || !/^[A-Za-z_][\w.-]*$/.test(name)) {
      throw new RegistryError(
        `Cannot register ${cls?.name ?? "class"}: the name ${JSON.stringify(name)} must start with a letter and contain only letters, digits, '_', '.' or '-'.`,
      );
    }
    const kind = options.kind ?? cls.registryKind;
    if (!kind) {
      throw new RegistryError(
        `Cannot register '${name}' (${cls.name}): it does not extend Pipeline, Tracker or Callback. Extend one of them, or pass { kind } to register().`,
      );
    }
    const table = this.byKind.get(kind)!;
    const existing = table.get(name);
    if (existing && existing.cls !== cls) {
      // A module evaluated again (watch mode, a cleared require cache) re-registers a class of
      // the same name from the same file: that replaces itself. Anything else is a clash.
      const file = this.currentModule ?? callerFile();
      if (!(file && existing.file === file && existing.cls.name === cls.name)) {
        throw new RegistryError(
          `The ${kind} name '${name}' is already registered by class ${existing.cls.name}${existing.file ? ` in ${existing.file}` : ""}; ` +
            `${cls.name}${file ? ` in ${file}` : ""} cannot take it. Rename one of them.`,
        );
      }
    }
    const entry = {
      name,
      kind,
      cls,
      closed: options.closed,
      file: existing?.cls === cls ? existing.file : (this.currentModule ?? callerFile()),
      builtin: false,
    } as RegistryEntry;
    // Read the class's statics when asked, not now: a TC39 class decorator runs before the
    // class's static fields are initialised when its methods are decorated too (esbuild, TS),
    // so `static params` / `static metrics` are still undefined here (issue 12.2).
    for (const key of ["description", "params", "metrics"] as const) {
      Object.defineProperty(entry, key, { enumerable: true, get: () => options[key] ?? cls[key] });
    }
    table.set(name, entry);
    return entry;
  }

  /** Registers a built-in (the framework's own trackers and callbacks). */
  addBuiltin(description: TypeDescription, cls: RegistrableClass): void {
    this.byKind.get(description.kind)!.set(description.name, { ...description, cls, builtin: true });
  }

  /**
   * Registers a built-in whose module is loaded on first use, so that listing or validating
   * never loads a tracker's dependencies (better-sqlite3, protobuf) it does not need.
   */
  addLazyBuiltin(description: TypeDescription, load: () => RegistrableClass): void {
    const entry = { ...description, builtin: true } as RegistryEntry;
    let cls: RegistrableClass | undefined;
    Object.defineProperty(entry, "cls", {
      enumerable: false,
      get: () => (cls ??= load()),
    });
    this.byKind.get(description.kind)!.set(description.name, entry);
  }

  has(kind: RegistryKind, name: string): boolean {
    return this.byKind.get(kind)!.has(name);
  }

  entry(kind: RegistryKind, name: string): RegistryEntry | undefined {
    return this.byKind.get(kind)!.get(name);
  }

  /** The class registered under `name`, or an error naming the kind and the closest names. */
  get(kind: RegistryKind, name: string): RegistrableClass {
    const entry = this.entry(kind, name);
    if (entry) return entry.cls;
    throw new RegistryError(unknownTypeMessage(kind, name, this.names(kind), this.kindsOf(name)));
  }

  names(kind: RegistryKind): string[] {
    return [...this.byKind.get(kind)!.keys()].sort();
  }

  /** The kinds under which `name` is registered (to say "X is a tracker, not a pipeline"). */
  kindsOf(name: string): RegistryKind[] {
    return REGISTRY_KINDS.filter((k) => this.byKind.get(k)!.has(name));
  }

  entries(kind?: RegistryKind): RegistryEntry[] {
    const kinds = kind ? [kind] : REGISTRY_KINDS;
    return kinds.flatMap((k) => [...this.byKind.get(k)!.values()]);
  }

  describe(): RegistryDescription {
    return {
      version: 1,
      // Spread copies enumerable fields only, so a lazy built-in's class is never loaded here.
      types: this.entries().map((entry) => {
        const description: Partial<RegistryEntry> = { ...entry };
        delete description.cls;
        return description as TypeDescription;
      }),
    };
  }

  /** Forgets user registrations (tests); built-ins stay. */
  resetUserTypes(): void {
    for (const table of this.byKind.values()) {
      for (const [name, entry] of table) if (!entry.builtin) table.delete(name);
    }
  }
}

export function unknownTypeMessage(
  kind: RegistryKind,
  name: string,
  known: string[],
  otherKinds: RegistryKind[],
): string {
  if (otherKinds.length > 0) {
    return `'${name}' is a ${otherKinds.join(" and a ")}, not a ${kind}. Registered ${kind}s: ${known.join(", ") || "(none)"}.`;
  }
  const close = closestNames(name, known);
  const hint = close.length > 0 ? ` Did you mean ${close.map((c) => `'${c}'`).join(" or ")}?` : "";
  const list =
    known.length > 0
      ? ` Registered ${kind}s: ${known.join(", ")}.`
      : ` No ${kind}s are registered: list the modules that register them under 'imports:' in env.yaml.`;
  return `Unknown ${kind} type '${name}'.${hint}${list}`;
}

/** The first stack frame outside this package: the user module that called register(). */
function callerFile(): string | undefined {
  const stack = new Error().stack?.split("\n").slice(1) ?? [];
  for (const frame of stack) {
    const m = /\(?((?:[A-Za-z]:)?[^():]+\.(?:[cm]?[jt]s)):\d+:\d+\)?$/.exec(frame.trim());
    if (!m) continue;
    const file = m[1];
    if (/[\\/]runtime[\\/](dist|src)[\\/](registry|pipeline|tracking|callbacks)[\\/]/.test(file)) continue;
    if (/[\\/]@expman[\\/]runtime[\\/]/.test(file)) continue;
    if (file.startsWith("node:") || file.includes("node_modules/tsx") || file.includes("node:internal")) continue;
    return file;
  }
  return undefined;
}

const REGISTRY_KEY = Symbol.for("expman.registry.v1");

/** The process-wide registry. */
export function getRegistry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  let registry = holder[REGISTRY_KEY];
  if (!registry) {
    registry = new Registry();
    holder[REGISTRY_KEY] = registry;
  }
  return registry;
}

type ClassDecorator = (cls: RegistrableClass, context?: ClassDecoratorContext) => void;

/**
 * `@register("Name")` (a TC39 class decorator) or `register("Name")(Class)`. The kind comes from
 * the base class (Pipeline, Tracker, Callback) unless given in options.
 */
export function register(name: string, options: RegisterOptions = {}): ClassDecorator {
  return (cls: RegistrableClass, context?: ClassDecoratorContext) => {
    if (context && context.kind !== "class") {
      throw new RegistryError(`@register("${name}") decorates classes, not ${context.kind}s.`);
    }
    getRegistry().add(name, cls, options);
  };
}

/** The Python original's spelling: `@YAMLSerializable.register("Name")`. */
export const YAMLSerializable = {
  register,
  getByName(name: string, kind: RegistryKind = "pipeline"): RegistrableClass {
    return getRegistry().get(kind, name);
  },
};
