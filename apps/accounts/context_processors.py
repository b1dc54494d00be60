def workspace(request):
    ctx = getattr(request, "workspace_ctx", None)
    return {"workspace_ctx": ctx}
