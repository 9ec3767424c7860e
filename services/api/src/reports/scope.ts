/**
 * Whose figures a report may show. An operator's staff see their own
 * operator only: the operator id comes from the token, never from the
 * client, and every report query filters by it. Admins see every operator,
 * or one with `?operator=`. Any other role is refused before this runs.
 */
import { type AccessClaims, authenticate, requireRole } from '@fare/auth'
import { ReportOperatorForbidden } from '../errors.ts'

export const operatorsAndAdmins = [authenticate(), requireRole('operator', 'admin')]

/** The operator the report is limited to, or undefined for all operators (admins only). */
export function reportOperator(user: AccessClaims, requested: string | undefined): string | undefined {
  if (user.role === 'admin') return requested
  // requireRole let only operators and admins through; an operator token without its operator sees nothing.
  const own = user.operator_id
  if (own === undefined || user.role !== 'operator') throw new ReportOperatorForbidden('this token names no operator')
  if (requested !== undefined && requested !== own) throw new ReportOperatorForbidden(`an operator token sees its own operator (${own}) only`)
  return own
}
