namespace ModuleService.Registry;
