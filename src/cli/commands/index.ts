/**
 * Every `task` command, for oclif's explicit command discovery (no file-system scan at startup).
 * Command modules import only oclif and the base command at load time; everything heavy is
 * imported inside `run()`, so `task --help` stays fast.
 */
import AiIdea from './ai-idea';
import Api from './api';
import Audit from './audit';
import Cancel from './cancel';
import CapabilityPlanner from './capability-planner';
import CronRun from './cron/run';
import DagDiagram from './dag/diagram';
import DagRunCommand from './dag/run';
import DagValidate from './dag/validate';
import Dashboard from './dashboard';
import Dev from './dev';
import Diagram from './diagram';
import Disable from './disable';
import Dispatch from './dispatch';
import Enable from './enable';
import Events from './events';
import ExportN8n from './export-n8n';
import History from './history';
import Init from './init';
import List from './list';
import LoadSchedules from './load-schedules';
import NewTask from './new/task';
import Pause from './pause';
import PointerAdd from './pointer-add';
import PointerList from './pointer-list';
import PointerReceive from './pointer-receive';
import PointerSend from './pointer-send';
import PointerSync from './pointer-sync';
import Replay from './replay';
import Rerun from './rerun';
import Resume from './resume';
import Retry from './retry';
import Run from './run';
import Runs from './runs';
import Schedule from './schedule';
import PauseSchedule from './schedule/pause';
import ResumeSchedule from './schedule/resume';
import TriggerSchedule from './schedule/trigger';
import Schedules from './schedules';
import Signal from './signal';
import Status from './status';
import Trigger from './trigger';
import Unschedule from './unschedule';
import Validate from './validate';
import Watch from './watch';
import WatchPlugins from './watch-plugins';
import Webhook from './webhook';
import Worker from './worker';

export const COMMANDS = {
  'ai-idea': AiIdea,
  api: Api,
  audit: Audit,
  cancel: Cancel,
  'capability-planner': CapabilityPlanner,
  'cron:run': CronRun,
  'dag:diagram': DagDiagram,
  'dag:run': DagRunCommand,
  'dag:validate': DagValidate,
  dashboard: Dashboard,
  dev: Dev,
  diagram: Diagram,
  disable: Disable,
  dispatch: Dispatch,
  enable: Enable,
  events: Events,
  'export-n8n': ExportN8n,
  history: History,
  init: Init,
  list: List,
  'load-schedules': LoadSchedules,
  'new:task': NewTask,
  pause: Pause,
  'pointer-add': PointerAdd,
  'pointer-list': PointerList,
  'pointer-receive': PointerReceive,
  'pointer-send': PointerSend,
  'pointer-sync': PointerSync,
  replay: Replay,
  rerun: Rerun,
  resume: Resume,
  retry: Retry,
  run: Run,
  runs: Runs,
  schedule: Schedule,
  'schedule:pause': PauseSchedule,
  'schedule:resume': ResumeSchedule,
  'schedule:trigger': TriggerSchedule,
  schedules: Schedules,
  signal: Signal,
  status: Status,
  trigger: Trigger,
  unschedule: Unschedule,
  validate: Validate,
  watch: Watch,
  'watch-plugins': WatchPlugins,
  webhook: Webhook,
  worker: Worker,
};
