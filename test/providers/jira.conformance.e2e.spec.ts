import { describeConformance } from './conformance/conformance.ts';
import { jiraConformanceTarget } from './targets/jira.ts';

describeConformance(jiraConformanceTarget);
