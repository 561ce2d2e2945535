import { describeConformance } from './conformance/conformance.ts';
import { zendeskConformanceTarget, zendeskOAuthTarget } from './targets/zendesk.ts';

describeConformance(zendeskConformanceTarget, 'zendesk (API token)');
describeConformance(zendeskOAuthTarget, 'zendesk (OAuth)');
