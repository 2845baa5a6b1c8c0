namespace ModuleService.Migrations;
