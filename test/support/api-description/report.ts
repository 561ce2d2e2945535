import type { RecordedExchange } from '../../../src/emulators/kit/http-emulator.ts';
import { ApiDescriptionChecker, type AllowEntry, type ApiDescription } from './checker.ts';

/** What one provider's exchanges came to against its description. */
export interface ApiDescriptionReport {
  /** Exchanges per operation exercised (`GET /v1/customers` → 12). */
  operations: Map<string, number>;
  answersValidated: number;
  /** Injected faults answered with a status the operation does not describe (not counted as violations). */
  faultsNotDescribed: number;
  /** Violation → how many exchanges had it (allowed ones excluded). */
  violations: Map<string, number>;
  /** Allow-list entry → how many violations it covered. */
  allowed: Map<AllowEntry, number>;
  /** Exchanges the recorder did not keep (over its bound). */
  dropped: number;
}

export function checkExchanges(description: ApiDescription, exchanges: readonly RecordedExchange[], dropped = 0): ApiDescriptionReport {
  const checker = new ApiDescriptionChecker(description);
  const report: ApiDescriptionReport = {
    operations: new Map(),
    answersValidated: 0,
    faultsNotDescribed: 0,
    violations: new Map(),
    allowed: new Map(description.allow.map((entry) => [entry, 0])),
    dropped,
  };
  for (const exchange of exchanges) {
    const verdict = checker.check(exchange);
    if (verdict.operation) report.operations.set(verdict.operation, (report.operations.get(verdict.operation) ?? 0) + 1);
    if (verdict.answerValidated) report.answersValidated++;
    if (verdict.faultNotDescribed) report.faultsNotDescribed++;
    for (const violation of verdict.violations) {
      const entry = description.allow.find((e) => e.match.test(violation));
      if (entry) report.allowed.set(entry, (report.allowed.get(entry) ?? 0) + 1);
      else report.violations.set(violation, (report.violations.get(violation) ?? 0) + 1);
    }
  }
  return report;
}

export const violationCount = (report: ApiDescriptionReport): number => [...report.violations.values()].reduce((a, b) => a + b, 0);
export const allowedCount = (report: ApiDescriptionReport): number => [...report.allowed.values()].reduce((a, b) => a + b, 0);

/** The lines the conformance suite prints for a provider. */
export function formatReport(label: string, report: ApiDescriptionReport): string {
  const lines = [
    `API description check, ${label}: ${report.operations.size} operations exercised, ${report.answersValidated} answers validated, ${violationCount(report)} violations, ${allowedCount(report)} allow-listed` +
      (report.faultsNotDescribed > 0 ? `, ${report.faultsNotDescribed} injected faults with an undescribed status` : '') +
      (report.dropped > 0 ? `, ${report.dropped} exchanges not recorded (over the recorder's bound)` : ''),
    ...[...report.operations].map(([operation, n]) => `  ${operation} ×${n}`),
    ...[...report.violations].map(([violation, n]) => `  VIOLATION ×${n}: ${violation}`),
    ...[...report.allowed].filter(([, n]) => n > 0).map(([entry, n]) => `  allowed ×${n}: ${entry.match.source} (${entry.reason})`),
    ...[...report.allowed].filter(([, n]) => n === 0).map(([entry]) => `  allow-list entry not used: ${entry.match.source}`),
  ];
  return lines.join('\n');
}
