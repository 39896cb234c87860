"""Running a frame processor over a stream: the push/flush/state_dict protocol, the decode -> process -> encode threads, resumable writers and the job runner."""
