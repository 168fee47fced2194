/**
 * Position-aware validation of an experiment config set (env, experiment, base, trials), pure
 * and native-free: used by `expman validate`, by `expman run` before anything starts, and by
 * the language server. (Owned by the language-server work; filled in there.)
 */
export {};
