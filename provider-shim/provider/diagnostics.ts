/**
 * Diagnostics: what the provider tells Terraform went wrong (or might), as the protocol's
 * Diagnostic message — severity, a one-line summary, a detail, and optionally the
 * attribute at fault, which Terraform uses to point at the line in the configuration.
 */

export interface Diagnostic {
  readonly severity: "error" | "warning";
  readonly summary: string;
  readonly detail?: string;
  /** From the resource's root, e.g. ["timeouts", "create"] or ["triggers", { key: "a" }]. */
  readonly attribute?: readonly PathStep[];
}

const SEVERITY = { error: 1, warning: 2 } as const;

export const errorDiag = (summary: string, detail?: string, attribute?: readonly PathStep[]): Diagnostic => ({
  severity: "error",
  summary,
  ...(detail !== undefined ? { detail } : {}),
  ...(attribute !== undefined ? { attribute } : {}),
});

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

export function diagnosticMessage(d: Diagnostic): object {
  return {
    severity: SEVERITY[d.severity],
    summary: d.summary,
    detail: d.detail ?? "",
    ...(d.attribute !== undefined ? { attribute: attributePath(d.attribute) } : {}),
  };
}

/** Steps: a string is an attribute name, a number a list index, `{ key }` a map key. */
export type PathStep = string | number | { readonly key: string };

export function attributePath(steps: readonly PathStep[]): object {
  return {
    steps: steps.map((step) =>
      typeof step === "string" ? { attribute_name: step } : typeof step === "number" ? { element_key_int: step } : { element_key_string: step.key },
    ),
  };
}
