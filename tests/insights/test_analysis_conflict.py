"""One analysis at a time: a second start is a 409 whose body names the running analysis and its job."""


def test_a_second_start_is_a_409_naming_the_running_analysis(owner):
    api = owner.api()
    first = api.post("/api/v1/analyses")
    assert first.status_code == 202
    second = api.post("/api/v1/analyses")
    assert second.status_code == 409
    assert second.json() == {"error": "An analysis of this workspace is already running; wait for it to finish.",
                             "analysis_id": first.json()["analysis_id"], "job_id": first.json()["job_id"]}
