import { describeConformance } from './conformance/conformance.ts';
import { jiraConformanceTarget, jiraOAuthTarget } from './targets/jira.ts';

describeConformance(jiraConformanceTarget, 'jira (Basic auth)');
describeConformance(jiraOAuthTarget, 'jira (OAuth 3LO)');
