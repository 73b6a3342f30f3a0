"""moto_server with AWS Step Functions' JSONPath result shapes.

AWS Step Functions evaluates reference paths with Jayway JsonPath: a definite path (names and literal indexes only,
e.g. `$.Items[0].Status`) yields the value itself; an indefinite one (a filter `[?(...)]`, a wildcard, a slice, a
union or a deep scan) yields a list. moto 5.x's interpreter returns a list for `$.Items[0].Status` too (its change
for getmoto/moto#7825). This launcher replaces that one function with the Jayway rule and starts moto_server with the
usual arguments. It also maps the Step Functions SDK-integration name `applicationautoscaling` to botocore's
`application-autoscaling`, which moto's interpreter does not; and it lets StartExecution deep-copy a state machine
whose backend holds a finished execution's locks (moto 5.2 answers HTTP 500 to every execution after the first, on
`copy.deepcopy`: "cannot pickle '_thread.RLock' object"), by copying a lock as itself. Used only by the tests that execute a state machine
(test/stacks/dr-workflow.moto.test.ts).
"""
import copy
import sys
import threading

import moto.stepfunctions.parser.asl.utils.json_path as json_path
from moto.server import main
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)


def extract_json(path, data):  # noqa: D103 - same signature as moto's; runs with moto's module globals
    import re as _re

    indefinite = bool(_re.search(r"\[\?|\[\*\]|\.\*|\.\.|\[[^\]]*[:,][^\]]*\]", path))
    matches = parse(path).find(data)  # noqa: F821 - jsonpath_ng.ext.parse, from moto's module
    if indefinite:
        return [match.value for match in matches]
    if not matches:
        raise NoSuchJsonPathError(json_path=path, data=data)  # noqa: F821
    return matches[0].value


# Replace the code of moto's function object, so that every module that imported it by name gets it.
json_path.extract_json.__code__ = extract_json.__code__

# arn:aws:states:::aws-sdk:applicationautoscaling:<action> (the Step Functions name) is botocore's
# application-autoscaling.
StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES["applicationautoscaling"] = "application-autoscaling"

# A lock is shared, not copied: deep-copying the state machine at StartExecution must not fail on a lock that a
# finished execution left in the backend.
for _lock_type in (type(threading.Lock()), type(threading.RLock())):
    copy._deepcopy_dispatch[_lock_type] = lambda lock, memo: lock

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
