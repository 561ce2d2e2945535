import { describeConformance } from './conformance/conformance.ts';
import { githubConformanceTarget } from './targets/github.ts';

describeConformance(githubConformanceTarget);
